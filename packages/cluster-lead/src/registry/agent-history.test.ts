import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentHistory, type HistorySample } from './agent-history.js';
import { beat, harness, INTERVAL, T0 } from './registry.test-helper.js';

describe('AgentHistory', () => {
  it('keeps the newest samples, oldest first, at most one per heartbeat interval', () => {
    const history = new AgentHistory({ samples: 3, outcomes: 2, intervalMs: 1_000 });
    history.record('pi-a', T0, 10, -1.5, 2);
    history.record('pi-a', T0 + 500, 99, 99, 99); // within the interval: skipped
    history.record('pi-a', T0 + 950, 11, -1.25, 2.5); // a beat a little early counts
    history.record('pi-a', T0 + 2_000, 12, Number.NaN, 3);
    history.record('pi-a', T0 + 3_000, 13, 0.5, 1);
    // The first sample fell out; times are kept to 0.1 s (T0 + 950 reads T0 + 1000).
    expect(history.samples('pi-a')).toEqual([
      { at: T0 + 1_000, impedanceScore: 11, offsetMs: -1.25, errorBoundMs: 2.5 },
      { at: T0 + 2_000, impedanceScore: 12, offsetMs: null, errorBoundMs: 3 },
      { at: T0 + 3_000, impedanceScore: 13, offsetMs: 0.5, errorBoundMs: 1 },
    ]);
    expect(history.samples('pi-b')).toEqual([]);
    // The lead's clock stepped back an hour: the next beat is still taken.
    history.record('pi-a', T0 - 3_600_000, 14, 0, 1);
    expect(history.samples('pi-a').at(-1)).toEqual({ at: T0 - 3_600_000, impedanceScore: 14, offsetMs: 0, errorBoundMs: 1 });
  });

  it('keeps the newest outcomes, newest first, with their operation', () => {
    const history = new AgentHistory({ samples: 2, outcomes: 2, intervalMs: 1_000 });
    history.recordOutcome('pi-a', T0, 'success', 'op-1', 12.5);
    history.recordOutcome('pi-a', T0 + 100, 'timeout', 'op-2', undefined);
    history.recordOutcome('pi-a', T0 + 200, 'error', undefined, 3);
    expect(history.outcomes('pi-a')).toEqual([
      { at: T0 + 200, operationId: null, result: 'error', processingMs: 3 },
      { at: T0 + 100, operationId: 'op-2', result: 'timeout', processingMs: null },
    ]);
  });

  it('keeps what does not fit its code exactly (an outage of hours, a clock step, an offset jump, a score out of range), until the ring overwrites it', () => {
    const history = new AgentHistory({ samples: 3, outcomes: 2, intervalMs: 1_000 });
    const hours = 3 * 3_600_000;
    history.record('pi-a', T0, 10, 3_200.125, 2);
    history.record('pi-a', T0 + hours, -4, -1e12, 20_000); // every value escapes
    history.record('pi-a', T0 + hours + 1_000, 12, -1e12 + 0.5, 3);
    expect(history.samples('pi-a')).toEqual([
      { at: T0, impedanceScore: 10, offsetMs: 3_200.125, errorBoundMs: 2 },
      { at: T0 + hours, impedanceScore: -4, offsetMs: -1e12, errorBoundMs: 20_000 },
      { at: T0 + hours + 1_000, impedanceScore: 12, offsetMs: -1e12 + 0.5, errorBoundMs: 3 },
    ]);
    expect(history.escapedValues).toBe(4);
    history.recordOutcome('pi-a', T0, 'success', 'op-1', 1e7);
    expect(history.outcomes('pi-a')[0]!.processingMs).toBe(1e7);
    for (let i = 2; i <= 5; i++) history.record('pi-a', T0 + hours + i * 1_000, 1, 1, 1);
    history.recordOutcome('pi-a', T0, 'success', 'op-2', 1);
    history.recordOutcome('pi-a', T0, 'success', 'op-3', 1);
    expect(history.escapedValues).toBe(0);
  });

  it('gives back every sample within the stated precision, whatever the ring went through (property)', () => {
    const value = (min: number, max: number) => fc.oneof(fc.double({ min, max, noNaN: true }), fc.constant(Number.NaN), fc.integer({ min: -5, max: 5 }));
    const beat = fc.record({
      gapMs: fc.oneof(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 50_000, max: 90_000 }), fc.integer({ min: -4e6, max: 1e8 })),
      score: value(-10, 1_200),
      offset: fc.oneof(value(-50, 50), value(-1e10, 1e10)),
      bound: value(0, 30_000),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.constantFrom(1_000, 5_000, 60_000), fc.array(beat, { maxLength: 40 }), (ring, intervalMs, beats) => {
        const history = new AgentHistory({ samples: ring, outcomes: 1, intervalMs });
        // The reference: exact values, times to 0.1 s from the first beat, one per 0.9 interval.
        const kept: HistorySample[] = [];
        let at = T0;
        let base: number | undefined;
        let last: number | undefined;
        const nullable = (v: number) => (Number.isFinite(v) ? v : null);
        for (const b of beats) {
          at += b.gapMs;
          history.record('pi-a', at, b.score, b.offset, b.bound);
          base ??= at;
          const t = Math.round((at - base) / 100);
          if (last !== undefined && t >= last && (t - last) * 100 < 0.9 * intervalMs) continue;
          last = t;
          kept.push({ at: base + t * 100, impedanceScore: nullable(b.score), offsetMs: nullable(b.offset), errorBoundMs: nullable(b.bound) });
          if (kept.length > ring) kept.shift();
        }
        const got = history.samples('pi-a');
        expect(got.map((s) => s.at)).toEqual(kept.map((s) => s.at));
        got.forEach((s, j) => {
          const want = kept[j]!;
          for (const [g, w, abs, rel] of [
            [s.impedanceScore, want.impedanceScore, 0.01, 0],
            [s.offsetMs, want.offsetMs, 0.0005, 1e-15],
            [s.errorBoundMs, want.errorBoundMs, 0.0005, 0.00031],
          ] as const) {
            expect(g === null).toBe(w === null);
            if (g !== null && w !== null) expect(Math.abs(g - w)).toBeLessThanOrEqual(Math.max(abs, Math.abs(w) * rel) + 1e-9);
          }
        });
        // Exact values are freed as the ring overwrites them: never more than four per position.
        expect(history.escapedValues).toBeLessThanOrEqual(4 * ring);
      }),
    );
  });

  it('costs 7 bytes a sample, 15 an outcome and 32 per agent, in chunks of 256 agents', () => {
    const history = new AgentHistory({ samples: 120, outcomes: 16, intervalMs: 5_000 });
    for (let i = 0; i < 300; i++) history.record(`pi-${i}`, T0, 1, 1, 1);
    expect(history.bytes).toBe(2 * 256 * (120 * 7 + 16 * 15 + 32));
    const off = new AgentHistory({ samples: 0, outcomes: 16, intervalMs: 5_000 });
    off.record('pi-a', T0, 1, 1, 1);
    off.recordOutcome('pi-a', T0, 'success', 'op-1', 1);
    expect([off.bytes, off.samples('pi-a'), off.outcomes('pi-a')]).toEqual([0, [], []]);
  });

  it('is fed by the registry from heartbeats and outcomes', () => {
    const h = harness({ historySamples: 4 });
    for (let i = 0; i < 6; i++) {
      beat(h, ['pi-a']);
      h.clock.advance(INTERVAL);
    }
    h.registry.recordOutcome('pi-a', { result: 'success', processingMs: 8, operationId: 'op-9' });
    const view = h.registry.get('pi-a')!;
    const recent = h.registry.recentHistory('pi-a')!;
    expect(recent.capacity).toBe(4);
    expect(recent.samples.map((s) => s.at)).toEqual([2, 3, 4, 5].map((i) => T0 + i * INTERVAL));
    expect(recent.samples.at(-1)!.impedanceScore).toBeCloseTo(view.impedance.impedanceScore, 3);
    expect(recent.samples.at(-1)!.errorBoundMs).toBeCloseTo(view.clock!.errorBoundMs, 3);
    expect(recent.outcomes).toEqual([{ at: T0 + 6 * INTERVAL, operationId: 'op-9', result: 'success', processingMs: 8 }]);
    expect(h.registry.recentHistory('nobody')).toBeUndefined();
  });
});
