import { ReleaseMode } from '../protocol/enums.js';

/** What the scheduler knows about one agent's timing, all in ms. */
export interface AgentTiming {
  agentId: string;
  /** Typical (median) lead-to-agent network delay: half the agent's median round trip, or measured one way. */
  oneWayDelayMs: number;
  /** Spread of that delay: its standard deviation, or p95 - p50. */
  jitterMs: number;
  /** Expected time from receipt to READY for this operation (from the impedance model). */
  expectedProcessingMs: number;
  /** Spread of the processing time, same convention as jitterMs. */
  processingSpreadMs: number;
  /**
   * Median of the agent's recent processing times for this operation (ProcessingMedian), what
   * `lead` mode aims at; absent: expectedProcessingMs stands in.
   */
  medianProcessingMs?: number;
  /** Trust in these figures, 0..1. */
  confidence: number;
  supportedModes: readonly ReleaseMode[];
}

/** Standard deviations of combined spread to allow for; 2 covers ~95 % of a normal spread. */
export const DEFAULT_BUFFER_SIGMAS = 2;
/** Smallest buffer: timer granularity and send-loop latency on a Pi are about a millisecond each. */
export const DEFAULT_BUFFER_FLOOR_MS = 2;
/** Confidence pivot: full confidence halves the sigma multiple (x0.5), none raises it by half (x1.5). */
export const BUFFER_CONFIDENCE_PIVOT = 1.5;

export interface BufferOptions {
  bufferSigmas?: number;
  bufferFloorMs?: number;
}

export interface LeadTime {
  oneWayDelayMs: number;
  expectedProcessingMs: number;
  bufferMs: number;
  /** oneWayDelayMs + expectedProcessingMs + bufferMs: how long before T the agent must be sent to. */
  leadTimeMs: number;
}

/**
 * Safety buffer for one agent:
 *
 *   buffer = max(floor, sigmas * sqrt(jitter^2 + spread^2) * (1.5 - confidence))
 *
 * Network jitter and processing spread are independent, so they add in quadrature. Low
 * confidence widens the buffer (x1.5 at confidence 0), high confidence narrows it (x0.5 at 1).
 */
export function bufferFor(timing: AgentTiming, options: BufferOptions = {}): number {
  const sigmas = options.bufferSigmas ?? DEFAULT_BUFFER_SIGMAS;
  const floor = options.bufferFloorMs ?? DEFAULT_BUFFER_FLOOR_MS;
  const spread = Math.hypot(timing.jitterMs, timing.processingSpreadMs);
  const confidence = Math.min(1, Math.max(0, timing.confidence));
  return Math.max(floor, sigmas * spread * (BUFFER_CONFIDENCE_PIVOT - confidence));
}

export function leadTimeFor(timing: AgentTiming, options: BufferOptions = {}): LeadTime {
  const bufferMs = bufferFor(timing, options);
  return {
    oneWayDelayMs: timing.oneWayDelayMs,
    expectedProcessingMs: timing.expectedProcessingMs,
    bufferMs,
    leadTimeMs: timing.oneWayDelayMs + timing.expectedProcessingMs + bufferMs,
  };
}

/** Normal quantile of 99.9 %: hold-mode T leaves room for all but one release in a thousand. */
export const HOLD_TAIL_Z = 3.09;
/** Margin on the processing tail: a quantile from a few dozen samples is itself uncertain. */
export const HOLD_TAIL_MARGIN = 0.1;

/**
 * Hold mode: how long before T the agent must be sent to so that it finishes before T all but
 * rarely. A later T costs nothing in hold mode (every agent waits for T on its own clock), so
 * T is sized from the tail, not the mean: the 99.9 % quantile of a log-normal with the
 * estimate's mean and spread (processing times are right-skewed; with few samples the
 * estimate is the class prior and its wide spread), plus a margin, and the one-way delay's
 * upper bound (median plus the same quantile of its spread). The floor buffer covers the send
 * loop and timer granularity.
 */
export function holdLeadTimeFor(timing: AgentTiming, options: BufferOptions = {}): LeadTime {
  const processingTailMs = logNormalQuantile(timing.expectedProcessingMs, timing.processingSpreadMs, HOLD_TAIL_Z) * (1 + HOLD_TAIL_MARGIN);
  const oneWayUpperMs = timing.oneWayDelayMs + HOLD_TAIL_Z * timing.jitterMs;
  const floorMs = options.bufferFloorMs ?? DEFAULT_BUFFER_FLOOR_MS;
  // The tail never gives less room than the buffered expectation: with a zero mean, or a spread
  // far above it, the log-normal quantile can fall below mean + sigmas x spread.
  // The totals are compared, not the buffers: rebuilding the buffered total from its parts can
  // round one ulp below it.
  const tailMs = oneWayUpperMs + processingTailMs + floorMs;
  const bufferedMs = leadTimeFor(timing, options).leadTimeMs;
  const parts = { oneWayDelayMs: oneWayUpperMs, expectedProcessingMs: processingTailMs };
  if (tailMs >= bufferedMs) return { ...parts, bufferMs: floorMs, leadTimeMs: tailMs };
  return { ...parts, bufferMs: bufferedMs - oneWayUpperMs - processingTailMs, leadTimeMs: bufferedMs };
}

/** The z-quantile of a log-normal with this mean and standard deviation; the mean itself when there is no spread. */
export function logNormalQuantile(meanMs: number, spreadMs: number, z: number): number {
  if (!(meanMs > 0) || !(spreadMs > 0)) return Math.max(0, meanMs);
  const sigma2 = Math.log(1 + (spreadMs / meanMs) ** 2);
  const quantile = Math.exp(Math.log(meanMs) - sigma2 / 2 + z * Math.sqrt(sigma2));
  // Degenerate inputs (a denormal mean, an absurd spread) overflow: fall back to mean + z sd.
  return Number.isFinite(quantile) ? quantile : meanMs + z * spreadMs;
}

/**
 * `lead` mode: aim at the median. The agent is sent to at T - (median one-way delay + median
 * processing), with no buffer, so that half of its releases land before T and half after and
 * the typical miss is as small as the spreads allow. A buffer would only move the whole
 * distribution early (DESIGN.md, release modes; issue 14 measured READY 100-155 ms early with
 * the buffered mean).
 */
export function medianLeadTimeFor(timing: AgentTiming): LeadTime {
  const expectedProcessingMs = timing.medianProcessingMs ?? timing.expectedProcessingMs;
  return {
    oneWayDelayMs: timing.oneWayDelayMs,
    expectedProcessingMs,
    bufferMs: 0,
    leadTimeMs: timing.oneWayDelayMs + expectedProcessingMs,
  };
}

/** The lead time an agent needs in the mode it will run in: the tail in hold, the median in lead, the buffered mean in none. */
export function leadTimeIn(mode: ReleaseMode | undefined, timing: AgentTiming, options: BufferOptions = {}): LeadTime {
  if (mode === 'hold') return holdLeadTimeFor(timing, options);
  if (mode === 'lead') return medianLeadTimeFor(timing);
  return leadTimeFor(timing, options);
}

/**
 * The lead time by which the scheduler judges whether an agent can make T at all: in lead mode
 * the median lead time it is sent by (so a T chosen for the slowest agent never skips it), in
 * the other modes the buffered expectation.
 */
export function feasibleLeadTimeFor(mode: ReleaseMode | undefined, timing: AgentTiming, options: BufferOptions = {}): LeadTime {
  return mode === 'lead' ? medianLeadTimeFor(timing) : leadTimeFor(timing, options);
}

const NON_NEGATIVE = ['oneWayDelayMs', 'jitterMs', 'expectedProcessingMs', 'processingSpreadMs'] as const;

/** Why a timing record cannot be scheduled (the offending field), or undefined when it can. */
export function invalidTimingField(timing: AgentTiming): string | undefined {
  if (typeof timing.agentId !== 'string' || timing.agentId === '') return 'agentId';
  for (const key of NON_NEGATIVE) {
    const value = timing[key];
    if (!Number.isFinite(value) || value < 0) return key;
  }
  const median = timing.medianProcessingMs;
  if (median !== undefined && !(Number.isFinite(median) && median >= 0)) return 'medianProcessingMs';
  if (!(timing.confidence >= 0 && timing.confidence <= 1)) return 'confidence';
  if (!Array.isArray(timing.supportedModes) || !timing.supportedModes.every((m) => ReleaseMode.safeParse(m).success)) {
    return 'supportedModes';
  }
  return undefined;
}

/** The first bad buffer option, or undefined when they are all usable. */
export function checkBufferOptions(options: BufferOptions): string | undefined {
  const { bufferSigmas, bufferFloorMs } = options;
  if (bufferSigmas !== undefined && !(Number.isFinite(bufferSigmas) && bufferSigmas >= 0)) return 'bufferSigmas';
  if (bufferFloorMs !== undefined && !(Number.isFinite(bufferFloorMs) && bufferFloorMs >= 0)) return 'bufferFloorMs';
  return undefined;
}
