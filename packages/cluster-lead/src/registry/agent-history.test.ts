import { describe, expect, it } from 'vitest';
import { AgentHistory } from './agent-history.js';
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

  it('costs 16 bytes a sample and 17 an outcome per agent, in chunks of 256 agents', () => {
    const history = new AgentHistory({ samples: 120, outcomes: 16, intervalMs: 5_000 });
    for (let i = 0; i < 300; i++) history.record(`pi-${i}`, T0, 1, 1, 1);
    expect(history.bytes).toBe(2 * 256 * (120 * 16 + 16 * 17 + 8));
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
