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

  it('carries the truth an oracle needs when given it, and leaves out what the sim does not know', () => {
    const clocks = { toTrue: (l: number) => skewed.toBase(l), toMesh: (l: number) => l - 1_500 };
    const truth = { scenario: 'realistic', processingMedianMs: 142, oneWayMedianMs: 40.5, draw: { processingMs: 151, plannedLeadMs: 190 } };
    expect(arrivalRecord('sim-1', event, clocks, truth)).toMatchObject({
      processing_scenario: 'realistic',
      true_processing_median_ms: 142,
      true_one_way_median_ms: 40.5,
      processing_ms: 151,
      planned_lead_ms: 190,
    });
    const unknown = arrivalRecord('sim-1', event, clocks, { ...truth, oneWayMedianMs: undefined, draw: { processingMs: 151, plannedLeadMs: undefined } });
    expect(unknown).not.toHaveProperty('true_one_way_median_ms');
    expect(unknown).not.toHaveProperty('planned_lead_ms');
    expect(arrivalRecord('sim-1', event, clocks)).not.toHaveProperty('processing_scenario');
  });
});
