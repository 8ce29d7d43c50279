import type { AgentTiming, MedianPrediction, ProcessingEstimate, ReleaseMode, Verb } from '@mesh30k/shared';
import type { AgentRecord } from './agent-record.js';
import { RECENT_HEARTBEAT_MS } from './options.js';
import { clockViewOf, type ClockView } from './views.js';

/** The operation's side of a timing question. */
export interface TimingConditions {
  verb?: Verb;
  /** 0..10, as COORDINATE.payload_weight. */
  payloadWeight?: number;
  /** Queue depth to assume; default: the depth the agent last reported. */
  queueDepth?: number;
}

/** Everything the send schedule needs about one agent, with where each figure came from. */
export interface AgentTimingInputs {
  agentId: string;
  /** Half the agent's typical round trip (its reported median latency, else its clock filter's delay). */
  oneWayDelayMs: number;
  /** Spread of the one-way delay: the round-trip spread / sqrt 2 (independent directions). */
  jitterMs: number;
  /** shared ProcessingEstimator: learned per verb from ACKs, class prior until then; medianMs: lead mode's median. */
  processing: ProcessingWithMedian;
  /** spec 3.1's shape, with the clock estimate's error bound where the spec has RTT drift (see confidenceOf). */
  confidence: number;
  clock: ClockView | null;
  /** Hold needs a clock estimate; lead and none work for everyone. */
  supportedModes: readonly ReleaseMode[];
}

/** The estimator's figures plus the median of recent processing times that lead mode aims at. */
export type ProcessingWithMedian = ProcessingEstimate & { medianMs: number; medianSource: MedianPrediction['source'] };

const WITH_CLOCK: readonly ReleaseMode[] = Object.freeze(['hold', 'lead', 'none']);
const WITHOUT_CLOCK: readonly ReleaseMode[] = Object.freeze(['lead', 'none']);
/**
 * confidence = reliability x 0.5 + clock trust x 0.3 + (recent ? 0.2 : 0), clamped to [0, 1]:
 * spec 3.1's weights, with the trust in the agent's clock estimate where the spec subtracts
 * its RTT drift. RTT jitter says little about how well an agent knows mesh time (a 32-sample
 * min-delay filter reads through it); the estimator's own error bound does. Clock trust falls
 * linearly from 1 at a 0 ms bound to 0 at the spec's 50 ms prediction tolerance, and is 0
 * without a clock estimate.
 */
const RELIABILITY_WEIGHT = 0.5;
const CLOCK_WEIGHT = 0.3;
const RECENCY_BONUS = 0.2;
export const CLOCK_TRUST_ZERO_AT_MS = 50;

export function timingInputsOf(record: AgentRecord, conditions: TimingConditions, now: number): AgentTimingInputs {
  const target = scheduleTargetOf(record, now);
  return {
    agentId: record.agentId,
    oneWayDelayMs: target.oneWayDelayMs,
    jitterMs: target.jitterMs,
    processing: processingOf(record, conditions),
    confidence: target.confidence,
    clock: clockViewOf(record),
    supportedModes: target.supportedModes,
  };
}

/** shared's ProcessingEstimator for this agent under these conditions, and the median (the estimator's figure until enough samples). */
export function processingOf(record: AgentRecord, conditions: TimingConditions): ProcessingWithMedian {
  const asked = {
    ...(conditions.verb === undefined ? {} : { verb: conditions.verb }),
    payloadWeight: conditions.payloadWeight ?? 0,
    queueDepth: conditions.queueDepth ?? record.queueDepth,
  };
  const estimate = record.estimator.estimate(asked);
  const median = record.processingMedian?.predict(asked, estimate.expectedMs);
  return { ...estimate, medianMs: median?.medianMs ?? estimate.expectedMs, medianSource: median?.source ?? 'fallback' };
}

/** The inputs in the shape shared's computeSendSchedule takes. */
export function toAgentTiming(inputs: AgentTimingInputs): AgentTiming {
  return {
    agentId: inputs.agentId,
    oneWayDelayMs: inputs.oneWayDelayMs,
    jitterMs: inputs.jitterMs,
    expectedProcessingMs: inputs.processing.expectedMs,
    processingSpreadMs: inputs.processing.spreadMs,
    medianProcessingMs: inputs.processing.medianMs,
    confidence: inputs.confidence,
    supportedModes: inputs.supportedModes,
  };
}

function confidenceOf(record: AgentRecord, now: number): number {
  const healthScore = record.health === null ? 1 : record.health.score();
  const reliability = Math.min(record.reliability, healthScore);
  const recent = Number.isFinite(record.lastSeenAt) && now - record.lastSeenAt <= RECENT_HEARTBEAT_MS;
  const raw = reliability * RELIABILITY_WEIGHT + clockTrust(record) * CLOCK_WEIGHT + (recent ? RECENCY_BONUS : 0);
  return Math.min(1, Math.max(0, raw));
}

/** 1 - errorBound / 50 ms, clamped to [0, 1]; 0 without a clock estimate. */
export function clockTrust(record: AgentRecord): number {
  const hasClock = record.clockSamples > 0 && Number.isFinite(record.offsetMs) && Number.isFinite(record.errorBoundMs);
  if (!hasClock) return 0;
  return Math.min(1, Math.max(0, 1 - record.errorBoundMs / CLOCK_TRUST_ZERO_AT_MS));
}

/**
 * One agent as a scheduler needs it: routing facts plus timing inputs, without the full view
 * (a 10,000-agent scatter should not allocate 10,000 views). Processing is asked separately,
 * per verb and payload weight.
 */
export interface ScheduleTarget {
  agentId: string;
  agentClass: AgentRecord['agentClass'];
  capabilities: readonly string[];
  clusterId: string;
  sectorId: string | null;
  state: AgentRecord['state'];
  supportedModes: readonly ReleaseMode[];
  oneWayDelayMs: number;
  jitterMs: number;
  confidence: number;
  /** mesh = local + offsetMs - driftPpm x 1e-6 x (local - atLocalMs); null before a clock exchange. */
  clock: { offsetMs: number; driftPpm: number; atLocalMs: number } | null;
}

export function scheduleTargetOf(record: AgentRecord, now: number): ScheduleTarget {
  const hasClock = record.clockSamples > 0 && Number.isFinite(record.offsetMs);
  const rttMs = record.latencyMs > 0 ? record.latencyMs : record.delayMs;
  const rttSpread = Number.isFinite(record.rttSpreadMs) ? record.rttSpreadMs : record.driftCoefficient * record.latencyMs;
  return {
    agentId: record.agentId,
    agentClass: record.agentClass,
    capabilities: record.capabilities,
    clusterId: record.clusterId,
    sectorId: record.sectorId,
    state: record.state,
    supportedModes: hasClock ? WITH_CLOCK : WITHOUT_CLOCK,
    oneWayDelayMs: rttMs / 2,
    jitterMs: rttSpread / Math.SQRT2,
    confidence: confidenceOf(record, now),
    clock: hasClock ? { offsetMs: record.offsetMs, driftPpm: record.driftPpm, atLocalMs: record.clockT1 } : null,
  };
}
