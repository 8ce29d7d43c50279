import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { MeshError } from '../lib/errors.js';
import type { MeshErrorCode, Result } from '../lib/errors.js';
import { DEFAULT_REPLAY_MAX_ENTRIES, DEFAULT_REPLAY_SKEW_MS, DEFAULT_REPLAY_TTL_MS, MAX_REPLAY_ID_LENGTH, ReplayGuard } from './replay-guard.js';

const T0 = 1_750_000_000_000;
const TTL = 30_000;
const SKEW = 2_000;

function setup(maxEntries = 1_000): { clock: ManualClock; guard: ReplayGuard } {
  const clock = new ManualClock(T0);
  return { clock, guard: new ReplayGuard({ clock, ttlMs: TTL, skewMs: SKEW, maxEntries }) };
}

const codeOf = (result: Result<void>): MeshErrorCode | 'OK' => (result.ok ? 'OK' : result.error.code);

describe('ReplayGuard', () => {
  it('documents its defaults', () => {
    expect([DEFAULT_REPLAY_TTL_MS, DEFAULT_REPLAY_SKEW_MS, DEFAULT_REPLAY_MAX_ENTRIES]).toEqual([30_000, 2_000, 100_000]);
    const clock = new ManualClock(T0);
    const guard = new ReplayGuard({ clock });
    expect(codeOf(guard.check('edge', T0 - 32_000))).toBe('OK');
    expect(codeOf(guard.check('past-edge', T0 - 32_001))).toBe('EXPIRED');
  });

  it('accepts a fresh id once and refuses the duplicate', () => {
    const { clock, guard } = setup();
    expect(codeOf(guard.check('m-1', T0))).toBe('OK');
    clock.advance(TTL / 2);
    const again = guard.check('m-1', T0);
    expect(codeOf(again)).toBe('REPLAYED');
    expect(again.ok ? '' : again.error.message).toContain('m-1');
    expect(codeOf(guard.check('m-2', T0))).toBe('OK');
  });

  it('refuses a reused id even with another created_at while the first is in the window', () => {
    const { clock, guard } = setup();
    expect(codeOf(guard.check('m-1', T0))).toBe('OK');
    clock.advance(1_000);
    expect(codeOf(guard.check('m-1', T0 + 1_000))).toBe('REPLAYED');
  });

  it('refuses messages older than ttl + skew as EXPIRED, and accepts the boundary', () => {
    const { guard } = setup();
    expect(codeOf(guard.check('edge', T0 - TTL - SKEW))).toBe('OK');
    const old = guard.check('old', T0 - TTL - SKEW - 1);
    expect(codeOf(old)).toBe('EXPIRED');
    expect(old.ok ? '' : old.error.message).toContain('ttl');
  });

  it('refuses messages more than skew in the future, and accepts the boundary', () => {
    const { guard } = setup();
    expect(codeOf(guard.check('edge', T0 + SKEW))).toBe('OK');
    expect(codeOf(guard.check('future', T0 + SKEW + 1))).toBe('FROM_THE_FUTURE');
    // A refused message is not remembered: the same id is judged afresh later.
    expect(guard.size).toBe(1);
  });

  it('forgets ids once they would be refused as expired anyway', () => {
    const { clock, guard } = setup();
    for (let i = 0; i < 100; i++) expect(codeOf(guard.check(`m-${i}`, T0 + i))).toBe('OK');
    expect(guard.size).toBe(100);
    clock.advance(TTL + SKEW + 1_000);
    expect(codeOf(guard.check('trigger', clock.now()))).toBe('OK');
    expect(guard.size).toBe(1);
    expect(guard.stats().retainedIds).toBe(1);
    // Forgotten, yet a replay of the original message is still refused by its age.
    expect(codeOf(guard.check('m-0', T0))).toBe('EXPIRED');
  });

  it('keeps an id exactly as long as its message is inside the window', () => {
    const { clock, guard } = setup();
    expect(codeOf(guard.check('m-1', T0))).toBe('OK');
    clock.set(T0 + TTL + SKEW);
    expect(codeOf(guard.check('m-1', T0))).toBe('REPLAYED');
    clock.set(T0 + TTL + SKEW + 1);
    expect(codeOf(guard.check('m-1', T0))).toBe('EXPIRED');
  });

  it('remembers an id reused after its window under its new time, wherever the old one sat', () => {
    // Sweep every offset within a couple of seconds so that some first sightings sit in a
    // partly live time bucket when the id comes back.
    for (let offset = 0; offset < 2_000; offset += 7) {
      const { clock, guard } = setup();
      expect(codeOf(guard.check('x', T0 + offset))).toBe('OK');
      clock.set(T0 + offset + TTL + SKEW + 1);
      const reused = clock.now();
      expect(codeOf(guard.check('x', reused))).toBe('OK');
      clock.advance(2_000);
      expect(codeOf(guard.check('x', reused))).toBe('REPLAYED');
    }
  });

  it('under pressure evicts the oldest ids and refuses anything as old as them', () => {
    const { clock, guard } = setup(10);
    for (let i = 0; i < 10; i++) expect(codeOf(guard.check(`m-${i}`, T0 + i * 100))).toBe('OK');
    clock.set(T0 + 1_000);
    expect(codeOf(guard.check('m-10', T0 + 1_000))).toBe('OK');
    expect(guard.size).toBe(10);
    const { evictions, lowWaterMark } = guard.stats();
    expect(evictions).toBe(1);
    expect(lowWaterMark).toBe(T0);
    // m-0 was evicted: its replay is refused by the low-water mark, not accepted again.
    const replay = guard.check('m-0', T0);
    expect(codeOf(replay)).toBe('EXPIRED');
    expect(replay.ok ? '' : replay.error.message).toContain('low-water');
    expect(codeOf(guard.check('m-1', T0 + 100))).toBe('REPLAYED');
  });

  it('keeps memory bounded under a sustained flood', () => {
    const { clock, guard } = setup(100);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      clock.advance(0.5);
      if (guard.check(`flood-${i}`, clock.now()).ok) accepted++;
      expect(guard.size).toBeLessThanOrEqual(100);
    }
    expect(accepted).toBe(20_000);
    expect(guard.stats().retainedIds).toBeLessThanOrEqual(300);
  });

  it('copes with a large clock jump', () => {
    const { clock, guard } = setup();
    for (let i = 0; i < 50; i++) guard.check(`m-${i}`, T0 - i * 500);
    clock.advance(365 * 86_400_000);
    expect(codeOf(guard.check('after', clock.now()))).toBe('OK');
    expect(guard.size).toBe(1);
  });

  it('refuses malformed ids and times without remembering them', () => {
    const { guard } = setup();
    expect(codeOf(guard.check('', T0))).toBe('INVALID_FIELDS');
    expect(codeOf(guard.check('x'.repeat(MAX_REPLAY_ID_LENGTH + 1), T0))).toBe('INVALID_FIELDS');
    expect(codeOf(guard.check('m-1', Number.NaN))).toBe('INVALID_FIELDS');
    expect(codeOf(guard.check('m-1', Number.POSITIVE_INFINITY))).toBe('INVALID_FIELDS');
    expect(guard.size).toBe(0);
  });

  it('refuses nonsensical options', () => {
    const clock = new ManualClock(T0);
    for (const bad of [{ ttlMs: -1 }, { skewMs: Number.NaN }, { maxEntries: 0 }, { maxEntries: 1.5 }]) {
      expect(() => new ReplayGuard({ clock, ...bad })).toThrow(MeshError);
    }
  });
});

/** One step of a run: let time pass, then present message `index` (new or an earlier one). */
const stepArb = fc.record({
  advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 40_000 })),
  /** Where the message was created relative to now, for a new message. */
  ageMs: fc.integer({ min: -(TTL + 3 * SKEW), max: 2 * SKEW }),
  /** Replay an earlier message instead of sending a new one, when there is one. */
  replay: fc.boolean(),
  pick: fc.nat(),
});

describe('ReplayGuard properties', () => {
  it('never accepts a message twice, even under eviction pressure, and stays within maxEntries', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 24 }), (steps, maxEntries) => {
        const { clock, guard } = setup(maxEntries);
        const sent: { id: string; createdAt: number }[] = [];
        const accepted = new Set<string>();
        for (const step of steps) {
          clock.advance(step.advanceMs);
          const fresh = { id: `m-${sent.length}`, createdAt: clock.now() - step.ageMs };
          // A replay resends an earlier message unchanged: id and created_at are signed together.
          const message = step.replay && sent.length > 0 ? sent[step.pick % sent.length]! : fresh;
          if (message === fresh) sent.push(fresh);
          if (guard.check(message.id, message.createdAt).ok) {
            expect(accepted.has(message.id)).toBe(false);
            accepted.add(message.id);
          }
          expect(guard.size).toBeLessThanOrEqual(maxEntries);
          expect(guard.stats().retainedIds).toBeLessThanOrEqual(3 * maxEntries + 64);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with room to spare, decides exactly as the rules say', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 300 }), (steps) => {
        const { clock, guard } = setup(100_000);
        const sent: { id: string; createdAt: number }[] = [];
        const firstAccepted = new Map<string, number>();
        for (const step of steps) {
          clock.advance(step.advanceMs);
          const now = clock.now();
          const fresh = { id: `m-${sent.length}`, createdAt: now - step.ageMs };
          // Replays here may carry a new created_at: a reused id must be refused while the first is remembered.
          const message = step.replay && sent.length > 0 ? { ...sent[step.pick % sent.length]!, createdAt: fresh.createdAt } : fresh;
          if (message === fresh) sent.push(fresh);

          const previous = firstAccepted.get(message.id);
          const expected: MeshErrorCode | 'OK' =
            message.createdAt > now + SKEW
              ? 'FROM_THE_FUTURE'
              : message.createdAt < now - TTL - SKEW
                ? 'EXPIRED'
                : previous !== undefined && previous >= now - TTL - SKEW
                  ? 'REPLAYED'
                  : 'OK';
          expect(codeOf(guard.check(message.id, message.createdAt))).toBe(expected);
          if (expected === 'OK') firstAccepted.set(message.id, message.createdAt);
        }
      }),
      { numRuns: 300 },
    );
  });
});
