import { describe, expect, it } from 'vitest';
import { defaultRetransmitMs, delayQuantile, mulberry32, sampleDelay, type LinkProfile } from './link-model.js';

function empiricalQuantile(profile: LinkProfile, q: number, retransmitMs: number, n = 40_000): number {
  const random = mulberry32(11);
  const values = Array.from({ length: n }, () => sampleDelay(profile, random, retransmitMs).delayMs).sort((a, b) => a - b);
  return values[Math.floor(q * (n - 1))]!;
}

describe('delayQuantile', () => {
  const profiles: LinkProfile[] = [
    { baseMs: 5 },
    { baseMs: 40, jitterMs: 4 },
    { baseMs: 300, jitterMs: 90, jitter: 'heavy-tail', lossRate: 0.01 },
    { baseMs: 40, jitterMs: 12, jitter: 'heavy-tail', lossRate: 0.005 },
  ];

  it.each(profiles)('matches the delays sampleDelay draws, at the median and the 90th percentile (%o)', (profile) => {
    const retransmitMs = defaultRetransmitMs(profile, profile);
    for (const q of [0.5, 0.9]) {
      const tolerance = Math.max(0.05, (profile.jitterMs ?? 0) * 0.04);
      expect(Math.abs(delayQuantile(profile, q, retransmitMs) - empiricalQuantile(profile, q, retransmitMs))).toBeLessThan(tolerance);
    }
  });

  it('is base + jitter / 2 for a uniform jitter, and base + jitter / 3 for the heavy tail without loss', () => {
    expect(delayQuantile({ baseMs: 120, jitterMs: 12 }, 0.5, 0)).toBeCloseTo(126, 9);
    expect(delayQuantile({ baseMs: 300, jitterMs: 90, jitter: 'heavy-tail' }, 0.5, 0)).toBeCloseTo(330, 9);
  });
});
