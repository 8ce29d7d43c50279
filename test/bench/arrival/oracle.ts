// The oracle row of the arrival benchmark: for the very draws of each lead-mode release, what a
// predictor that knew each agent's true median processing time and true median one-way delay
// would have achieved. The lead sent at T - planned lead; the oracle would have sent at
// T - (true delay median + true processing median); the network, the handler and the machine
// did the same either way, so the oracle's error is the lead's shifted by the two lead times'
// difference. No predictor can do better on these draws than aim at the truth's median.
import { summarize } from '../../harness/percentiles.js';
import type { SendTimes } from './send-times.js';
import { distribution, PREDICTION_TOLERANCE_MS, type ArrivalLine, type Distribution, type MeasuredOperation } from './stats.js';

/** The fields the sims add for the oracle (packages/pi-daemon/src/sim/arrival-tap.ts). */
export interface TruthLine extends ArrivalLine {
  processing_scenario?: string;
  processing_ms?: number;
  true_processing_median_ms?: number;
  true_one_way_median_ms?: number;
  planned_lead_ms?: number;
}

export interface PredictorFigures {
  abs: Distribution;
  signedP50: number;
  /** Share of these releases within 50 ms of T. */
  within50msRate: number;
}

export interface OracleFigures {
  /** Lead-mode releases with everything the oracle needs. */
  n: number;
  /** Lead-mode releases without it (a gateway link the sim cannot see, an older sim). */
  withoutTruth: number;
  lead: PredictorFigures;
  oracle: PredictorFigures;
  /** The lead's planned lead time minus the oracle's, ms: its bias (p50) and its typical size (|.| p90). */
  leadGap: { signedP50: number; absP90: number };
  /**
   * The oracle's error minus the processing draw's distance from its median, signed: what
   * neither predictor could know, the link's jitter and every lateness of the machine (send
   * timers, the sims' event loops). Releases without a recorded draw are left out.
   */
  rest: { n: number; p50: number; p90: number; p99: number };
  /**
   * The rest split at the send, where the lead's responders say when it published: the lead's
   * send lateness (sent_at minus T minus the planned lead time; a bucket leaves up to 10 ms
   * early) and what came after it (link jitter, delivery and the sim's timers). Absent
   * without send times.
   */
  sendLateness?: { n: number; p50: number; p90: number; p99: number };
  afterSend?: { n: number; p50: number; p90: number; p99: number };
}

const summary = (values: readonly number[]): { n: number; p50: number; p90: number; p99: number } =>
  (({ count, p50, p90, p99 }) => ({ n: count, p50, p90, p99 }))(summarize(values));

/** Lead p90 within this factor of the oracle's p90 (issue 14). */
export const ORACLE_P90_FACTOR = 1.1;

function predictor(signed: readonly number[]): PredictorFigures {
  const abs = signed.map(Math.abs);
  return {
    abs: distribution(abs),
    signedP50: summarize(signed).p50,
    within50msRate: abs.length === 0 ? Number.NaN : abs.filter((e) => e <= PREDICTION_TOLERANCE_MS).length / abs.length,
  };
}

/** Lead against the oracle over the lead-mode operations; null when no release carries the truth. */
export function oracleFigures(operations: readonly MeasuredOperation[], lines: readonly TruthLine[], sendTimes?: SendTimes): OracleFigures | null {
  const targets = new Map(operations.filter((o) => o.mode === 'lead').map((o) => [o.operationId, o.targetTime]));
  const lead: number[] = [];
  const oracle: number[] = [];
  const gaps: number[] = [];
  const rest: number[] = [];
  const sendLate: number[] = [];
  const afterSend: number[] = [];
  let withoutTruth = 0;
  const seen = new Set<string>();
  for (const line of lines) {
    const target = targets.get(line.operation_id);
    const key = `${line.operation_id}/${line.agent_id}`;
    if (target === undefined || seen.has(key)) continue;
    seen.add(key);
    const { planned_lead_ms: planned, true_one_way_median_ms: delay, true_processing_median_ms: processing } = line;
    if (planned === undefined || delay === undefined || processing === undefined) {
      withoutTruth++;
      continue;
    }
    const error = line.ready_true_ms - target;
    const gap = planned - (delay + processing);
    lead.push(error);
    oracle.push(error + gap);
    gaps.push(gap);
    if (line.processing_ms === undefined) continue;
    const unexplained = error + gap - (line.processing_ms - processing);
    rest.push(unexplained);
    const sentAt = sendTimes?.get(line.operation_id)?.get(line.agent_id);
    if (sentAt === undefined) continue;
    const late = sentAt - (target - planned);
    sendLate.push(late);
    afterSend.push(unexplained - late);
  }
  if (lead.length === 0) return null;
  return {
    n: lead.length,
    withoutTruth,
    lead: predictor(lead),
    oracle: predictor(oracle),
    leadGap: { signedP50: summarize(gaps).p50, absP90: summarize(gaps.map(Math.abs)).p90 },
    rest: summary(rest),
    ...(sendLate.length === 0 ? {} : { sendLateness: summary(sendLate), afterSend: summary(afterSend) }),
  };
}
