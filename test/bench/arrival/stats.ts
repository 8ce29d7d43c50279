// Pure figures of the arrival benchmark: true arrival errors and offset errors per (profile,
// mode), the spec's KPIs, from the sims' arrival records and the lead's operation outcomes.
import { summarize } from '../../harness/percentiles.js';

/** One line of a sim's arrival file (packages/pi-daemon/src/sim/arrival-tap.ts), the fields used here. */
export interface ArrivalLine {
  agent_id: string;
  operation_id: string;
  mode: string;
  ready_true_ms: number;
  offset_error_ms: number;
  /** End of processing in the agent's mesh time (absent in records of older sims). */
  finished_mesh_ms?: number;
}

/** What the bench kept of one measured operation (see operation-outcome.ts). */
export interface MeasuredOperation {
  operationId: string;
  mode: string;
  /** T in mesh time, as the lead decided it. */
  targetTime: number;
  /** Agents the operation was for. */
  targeted: number;
  /** The lead's quorum decision: SUCCESS. */
  succeeded: boolean;
  /** Agents whose ACK reached the lead after its deadline (absent in older results). */
  stragglers?: number;
}

export interface Distribution {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface ModeFigures {
  mode: string;
  operations: number;
  /** |true ready - T|, ms. */
  arrivalAbs: Distribution;
  /** Signed true error: its median shows a bias (an asymmetric link's half-asymmetry, say). */
  arrivalSignedP50: number;
  /** |estimated mesh time - true time| at each release, ms. */
  offsetAbs: Distribution;
  offsetSignedP50: number;
  /**
   * The other part of the error: the release as the agent's own estimate of mesh time saw it,
   * minus T (ready_true + offset_error - T), so that true error = lateness - offset error exactly.
   * In hold mode this is the timer's lateness plus any processing that ended after T.
   */
  latenessSigned?: Distribution;
  /**
   * Hold mode: the release timer alone, ready - max(T, end of processing) on the agent's own
   * clock. Empty in other modes and for records without the end of processing. (The three
   * parts are absent in results of older runs.)
   */
  timerLateness?: Distribution;
  /** Hold mode: releases whose processing ended after T (T chosen too early), and by how much at most. */
  finishedAfterT?: { n: number; maxMs: number };
  /** Share of targeted agents whose true ready fell within the window of T (missing = miss). */
  hitRate: number;
  /** Share of operations the lead decided SUCCESS (quorum reached). */
  successRate: number;
  /** Share of targeted agents ready within 50 ms of T (the spec's prediction accuracy). */
  within50msRate: number;
  /** Targeted agents with no READY record at all. */
  missing: number;
  /** ACKs that reached the lead after its deadline, over the mode's operations. */
  stragglers: number;
}

export const PREDICTION_TOLERANCE_MS = 50;

export function distribution(values: readonly number[]): Distribution {
  const s = summarize(values);
  return { n: s.count, p50: s.p50, p90: s.p90, p99: s.p99, max: s.max };
}

/** Figures of one mode from its measured operations; records of other operations are ignored. */
export function modeFigures(mode: string, operations: readonly MeasuredOperation[], lines: readonly ArrivalLine[], windowMs: number): ModeFigures {
  const ops = operations.filter((o) => o.mode === mode);
  const byOp = new Map(ops.map((o) => [o.operationId, o]));
  const signed: number[] = [];
  const offsets: number[] = [];
  const lateness: number[] = [];
  const timer: number[] = [];
  const afterT: number[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const op = byOp.get(line.operation_id);
    // One record per agent and operation; a duplicate (redelivery) would count twice.
    if (op === undefined || seen.has(`${line.operation_id}/${line.agent_id}`)) continue;
    seen.add(`${line.operation_id}/${line.agent_id}`);
    signed.push(line.ready_true_ms - op.targetTime);
    offsets.push(line.offset_error_ms);
    const readyMesh = line.ready_true_ms + line.offset_error_ms;
    lateness.push(readyMesh - op.targetTime);
    if (mode === 'hold' && line.finished_mesh_ms !== undefined) {
      timer.push(readyMesh - Math.max(op.targetTime, line.finished_mesh_ms));
      if (line.finished_mesh_ms > op.targetTime) afterT.push(line.finished_mesh_ms - op.targetTime);
    }
  }
  const targeted = ops.reduce((sum, o) => sum + o.targeted, 0);
  const abs = signed.map(Math.abs);
  const share = (count: number): number => (targeted === 0 ? Number.NaN : count / targeted);
  return {
    mode,
    operations: ops.length,
    arrivalAbs: distribution(abs),
    arrivalSignedP50: summarize(signed).p50,
    offsetAbs: distribution(offsets.map(Math.abs)),
    offsetSignedP50: summarize(offsets).p50,
    latenessSigned: distribution(lateness),
    timerLateness: distribution(timer),
    finishedAfterT: { n: afterT.length, maxMs: afterT.length === 0 ? 0 : Math.max(...afterT) },
    hitRate: share(abs.filter((e) => e <= windowMs).length),
    successRate: ops.length === 0 ? Number.NaN : ops.filter((o) => o.succeeded).length / ops.length,
    within50msRate: share(abs.filter((e) => e <= PREDICTION_TOLERANCE_MS).length),
    missing: Math.max(0, targeted - signed.length),
    stragglers: ops.reduce((sum, o) => sum + (o.stragglers ?? 0), 0),
  };
}

/** At most `keep` evenly spaced order statistics of a sorted sample, min and max included: small JSON, tails kept. */
export function thin(sorted: readonly number[], keep = 400): number[] {
  if (sorted.length <= keep) return [...sorted];
  return Array.from({ length: keep }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (keep - 1))]!);
}
