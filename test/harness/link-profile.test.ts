import { describe, expect, it } from 'vitest';
import { HarnessError } from './errors.js';
import {
  HEAVY_TAIL_CAP_FACTOR,
  MIN_RTO_MS,
  checkProfile,
  defaultRetransmitMs,
  sampleDelay,
  type LinkProfile,
} from './link-profile.js';
import { summarize } from './percentiles.js';
import { mulberry32 } from './random.js';

const SAMPLES = 20_000;
const UNUSED_RETRANSMIT_MS = 1_000;

const delays = (profile: LinkProfile, retransmitMs = UNUSED_RETRANSMIT_MS): number[] => {
  const random = mulberry32(1234);
  return Array.from({ length: SAMPLES }, () => sampleDelay(profile, random, retransmitMs).delayMs);
};

describe('sampleDelay', () => {
  it('adds exactly the base delay when there is no jitter or loss', () => {
    expect(new Set(delays({ baseMs: 12 }))).toEqual(new Set([12]));
  });

  it('adds U(0, jitterMs) for uniform jitter', () => {
    const summary = summarize(delays({ baseMs: 10, jitterMs: 8 }));
    expect(summary.min).toBeGreaterThanOrEqual(10);
    expect(summary.max).toBeLessThan(18);
    expect(summary.mean).toBeCloseTo(14, 0);
  });

  it('adds a capped heavy tail whose median is a third of jitterMs', () => {
    const jitterMs = 30;
    const added = delays({ baseMs: 0, jitterMs, jitter: 'heavy-tail' });
    const summary = summarize(added);
    expect(summary.min).toBeGreaterThanOrEqual(0);
    expect(summary.p50).toBeGreaterThan(jitterMs / 3 - 1);
    expect(summary.p50).toBeLessThan(jitterMs / 3 + 1);
    expect(summary.max).toBeLessThanOrEqual(jitterMs * HEAVY_TAIL_CAP_FACTOR);
    // The tail is what makes it heavy: a few percent of chunks wait several times jitterMs.
    const beyondThree = added.filter((value) => value > 3 * jitterMs).length / SAMPLES;
    expect(beyondThree).toBeGreaterThan(0.01);
    expect(beyondThree).toBeLessThan(0.06);
  });

  it('delays about lossRate of chunks by the retransmission time', () => {
    const random = mulberry32(99);
    const draws = Array.from({ length: SAMPLES }, () => sampleDelay({ baseMs: 5, lossRate: 0.1 }, random, 250));
    const lost = draws.filter((draw) => draw.lost);
    expect(lost.length / SAMPLES).toBeCloseTo(0.1, 1);
    expect(new Set(lost.map((draw) => draw.delayMs))).toEqual(new Set([255]));
    expect(draws.filter((draw) => !draw.lost).every((draw) => draw.delayMs === 5)).toBe(true);
  });

  it("prefers the profile's own retransmitMs", () => {
    const sample = sampleDelay({ baseMs: 1, lossRate: 1, retransmitMs: 40 }, mulberry32(1), 250);
    expect(sample).toEqual({ delayMs: 41, lost: true });
  });
});

describe('defaultRetransmitMs', () => {
  it('is one round trip above the minimum RTO', () => {
    expect(defaultRetransmitMs({ baseMs: 20 }, { baseMs: 30 })).toBe(50 + MIN_RTO_MS);
  });
});

describe('checkProfile', () => {
  it.each<LinkProfile>([
    { baseMs: -1 },
    { baseMs: Number.NaN },
    { baseMs: 1, jitterMs: -2 },
    { baseMs: 1, lossRate: 1.5 },
    { baseMs: 1, retransmitMs: Number.POSITIVE_INFINITY },
  ])('rejects %o', (profile) => {
    expect(() => checkProfile(profile)).toThrowError(HarnessError);
    expect(() => checkProfile(profile)).toThrowError(expect.objectContaining({ code: 'INVALID_PROFILE' }));
  });

  it('returns a frozen copy of a valid profile', () => {
    const input: LinkProfile = { baseMs: 3, jitterMs: 1 };
    const checked = checkProfile(input);
    expect(checked).toEqual(input);
    expect(checked).not.toBe(input);
    expect(Object.isFrozen(checked)).toBe(true);
  });
});
