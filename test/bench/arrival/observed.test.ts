import { describe, expect, it } from 'vitest';
import type { SeenAck } from './ack-observer.js';
import { holdBreakdown, observedChecks, observedFigures, type ObservedLine } from './observed.js';
import type { MeasuredOperation } from './stats.js';

const op = (operationId: string, mode: string): MeasuredOperation => ({ operationId, mode, targetTime: 1_000, targeted: 3, succeeded: true });
const seenAck = (messageId: string, seenTrueMs: number): [string, SeenAck] => [messageId, { messageId, agentId: 'x', operationId: 'x', seenTrueMs }];

describe('what the outside observer saw', () => {
  const ops = [op('h1', 'hold'), op('n1', 'none')];
  const lines: ObservedLine[] = [
    // Stamped 0.5 ms after T; its ACK reached the observer 5 ms after that, 3 ms of it the emulated uplink.
    // Its send is dated at the stamp (it waited 0.7 ms behind other agents' sends of its pass).
    { agent_id: 'a', operation_id: 'h1', ready_true_ms: 1_000.5, ready_local_ms: 5_000.5, ack_message_id: 'm1', uplink_delay_ms: 3, uplink_in_true_ms: 1_000.5, uplink_out_true_ms: 1_004.5, hold: { deadline_local_ms: 5_000, deadline_mesh_ms: 1_000, prebuilt: true, run_queue_ms: 0, effect_delay_ms: 0.7 } },
    // Stamped 20 ms late, all of it waiting for a CPU; seen 25 ms after T net of its uplink.
    { agent_id: 'b', operation_id: 'h1', ready_true_ms: 1_020, ready_local_ms: 7_020, ack_message_id: 'm2', uplink_delay_ms: 1, hold: { deadline_local_ms: 7_000, deadline_mesh_ms: 1_002, prebuilt: false, signed_at_release: true, run_queue_ms: 19.5 } },
    // Its ACK never reached the observer.
    { agent_id: 'c', operation_id: 'h1', ready_true_ms: 1_000, ack_message_id: 'm3', uplink_delay_ms: 1 },
    { agent_id: 'a', operation_id: 'n1', ready_true_ms: 700, ack_message_id: 'm4', uplink_delay_ms: 2 },
  ];
  const seen = new Map([seenAck('m1', 1_005.5), seenAck('m2', 1_026), seenAck('m4', 703)]);

  it('judges the instant seen minus the emulated uplink delay against T, and against the sim\'s stamp', () => {
    const hold = observedFigures('hold', ops, lines, seen, 10);
    expect(hold.matched).toBe(2);
    expect(hold.unmatched).toBe(1);
    expect(hold.observedAbs.max).toBeCloseTo(25, 9);
    expect(hold.observedAbs.p50).toBeCloseTo((2.5 + 25) / 2, 9);
    expect(hold.stampToWire.max).toBeCloseTo(5, 9);
    expect(hold.observedHitRate).toBe(0.5);
    // m1: its link let it go 1 ms later than stamp + uplink delay (the sim), and the observer saw it 1 ms after that.
    expect(hold.inSim.p50).toBeCloseTo(1, 9);
    expect(hold.afterSim.p50).toBeCloseTo(1, 9);
    expect(hold.inSim.max).toBeCloseTo(1, 9);
    // That 1 ms is the emulated link's own lateness; without it m1 was seen 1.5 ms after T.
    expect(hold.linkLate).toMatchObject({ n: 1, max: expect.closeTo(1, 9) as number });
    expect(hold.netAbs).toMatchObject({ n: 1, max: expect.closeTo(1.5, 9) as number });
    expect(observedFigures('none', ops, lines, seen, 10).observedSignedP50).toBeCloseTo(-299, 9);
  });

  it('splits hold lateness into the timer on its own clock, the estimate moving, and time waiting for a CPU', () => {
    const h = holdBreakdown(ops, lines);
    expect(h.releases).toBe(2);
    expect(h.prebuiltShare).toBe(0.5);
    // b came late: its ACK was signed again inside the release, not after it.
    expect(h.signedAtReleaseShare).toBe(0.5);
    expect(h.ownClockLate.max).toBeCloseTo(20, 9);
    expect(h.estimateShift.max).toBeCloseTo(2, 9);
    expect(h.late).toEqual({ n: 1, explainedByRunQueue: 1 });
    expect(h.effectDelay).toMatchObject({ n: 1, max: 0.7 });
  });

  it('checks the hold targets on the observed instant, and not at all when nothing was observed', () => {
    const checks = observedChecks('lan', 0, observedFigures('hold', ops, lines, seen, 10));
    expect(checks.map((c) => [c.metric, c.met])).toEqual([
      ['observed |error| p99 (ms)', false],
      ['observed |error| max (ms)', false],
      ['observed, link emulator\'s lateness off, |error| p99 (ms)', true],
      ['observed, link emulator\'s lateness off, |error| max (ms)', true],
    ]);
    expect(observedChecks('lan', 0, observedFigures('hold', ops, lines, new Map(), 10))).toEqual([]);
  });
});
