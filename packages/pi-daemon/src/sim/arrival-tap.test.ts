import { describe, expect, it } from 'vitest';
import { SkewedClock } from '../clock/skewed-clock.js';
import { arrivalRecord } from './arrival-tap.js';

describe('arrival tap', () => {
  const base = { now: () => 1_000_000 };
  // 1.5 s ahead and 50 ppm fast, anchored at the base clock's 1,000,000.
  const skewed = new SkewedClock(base, { offsetMs: 1_500, driftPpm: 50 });
  const event = { operationId: 'op-1', releaseMode: 'hold' as const, targetTime: 1_010_000, readyAtLocal: skewed.fromBase(1_010_000.25), finishedAtLocal: skewed.fromBase(1_009_990), ackMessageId: 'ack-1' };

  it('turns the skewed stamp back into the true instant, and the skew into its simulated truth', () => {
    const record = arrivalRecord('sim-1', event, { toTrue: (l) => skewed.toBase(l), toMesh: (l) => l - 1_500 });
    expect(record.ready_true_ms).toBeCloseTo(1_010_000.25, 6);
    expect(record.true_offset_ms).toBeCloseTo(1_500 + 10_000.25 * 50e-6, 6);
    expect(record).toMatchObject({ agent_id: 'sim-1', operation_id: 'op-1', mode: 'hold', target_time: 1_010_000 });
  });

  it('measures the offset estimate against the truth, not against what the agent believes', () => {
    // An estimate that ignores the drift is off by the drift accumulated since the anchor.
    const record = arrivalRecord('sim-1', event, { toTrue: (l) => skewed.toBase(l), toMesh: (l) => l - 1_500 });
    expect(record.offset_error_ms).toBeCloseTo(10_000.25 * 50e-6, 6);
  });

  it('gives the end of processing in the agent\'s mesh time, so lateness splits into processing and timer', () => {
    const record = arrivalRecord('sim-1', event, { toTrue: (l) => skewed.toBase(l), toMesh: (l) => l - 1_500 });
    expect(record.finished_mesh_ms).toBeCloseTo(skewed.fromBase(1_009_990) - 1_500, 6);
  });
});
