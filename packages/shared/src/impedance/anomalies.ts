import { MeshError } from '../lib/errors.js';
import type { AgentImpedance } from './agent-impedance.js';
import { EWMA_SLOTS, ewmaStep, resolveAlpha } from './ewma.js';

/** Spec 4.2: above this score an agent is slow enough to flag as degraded. */
export const DEGRADED_SCORE_THRESHOLD = 800;
/** Spec 4.2: above this drift coefficient (latency CV) an agent is unstable. */
export const UNSTABLE_DRIFT_THRESHOLD = 0.5;
/** A reading more than this many times the agent's own baseline is a spike. */
export const SPIKE_FACTOR = 2;
/** Earlier readings needed before a spike can be called: no baseline, no spike. */
export const SPIKE_MIN_HISTORY = 5;
/** Half-life, in heartbeats, of the baseline (about a minute at one heartbeat per 5 s). */
export const SPIKE_BASELINE_HALF_LIFE = 12;
/**
 * Baselines are raised to these floors before comparing, so an idle agent going from 0.3 ms
 * to 1 ms, or from score 2 to 5, is not a spike.
 */
export const SPIKE_LATENCY_FLOOR_MS = 5;
/**
 * Below this spread of latency (drift coefficient x latency, an estimate of its standard
 * deviation) an agent is not unstable, whatever the ratio: on a fast link, 1 ms against 2 ms
 * is a ratio of 0.5 but changes no schedule, and flagging it makes agents flap between states.
 */
export const UNSTABLE_SPREAD_FLOOR_MS = 5;
export const SPIKE_SCORE_FLOOR = 10;

export interface AnomalyThresholds {
  degradedScore: number;
  unstableDrift: number;
  unstableSpreadFloorMs: number;
  spikeFactor: number;
  spikeMinHistory: number;
  spikeBaselineHalfLife: number;
  spikeLatencyFloorMs: number;
  spikeScoreFloor: number;
}

export const DEFAULT_ANOMALY_THRESHOLDS: Readonly<AnomalyThresholds> = Object.freeze({
  degradedScore: DEGRADED_SCORE_THRESHOLD,
  unstableDrift: UNSTABLE_DRIFT_THRESHOLD,
  unstableSpreadFloorMs: UNSTABLE_SPREAD_FLOOR_MS,
  spikeFactor: SPIKE_FACTOR,
  spikeMinHistory: SPIKE_MIN_HISTORY,
  spikeBaselineHalfLife: SPIKE_BASELINE_HALF_LIFE,
  spikeLatencyFloorMs: SPIKE_LATENCY_FLOOR_MS,
  spikeScoreFloor: SPIKE_SCORE_FLOOR,
});

export interface AnomalyFlags {
  /** Score strictly above the degraded threshold. */
  degraded: boolean;
  /** Drift strictly above the unstable threshold, with a latency spread above its floor. */
  unstable: boolean;
  /** Score or latency strictly above spikeFactor x the agent's own baseline. */
  spike: boolean;
}

/** What the anomaly checks read from a heartbeat. */
export type AnomalyInput = Pick<AgentImpedance, 'impedance_score' | 'drift_coefficient' | 'current_latency_ms'>;

/** The agent's history: how many earlier readings, and their EWMA score and latency. */
export interface AnomalyBaseline {
  count: number;
  scoreMean: number;
  latencyMs: number;
}

/** Fills in defaults and rejects nonsense (non-positive factors, negative counts). */
export function resolveAnomalyThresholds(overrides: Partial<AnomalyThresholds> = {}): AnomalyThresholds {
  const t = { ...DEFAULT_ANOMALY_THRESHOLDS, ...overrides };
  for (const [key, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new MeshError('INVALID_ARGUMENT', `${key} must be a finite number >= 0, got ${value}`, { path: key });
    }
  }
  if (t.spikeFactor <= 0 || t.spikeBaselineHalfLife <= 0) {
    throw new MeshError('INVALID_ARGUMENT', 'spikeFactor and spikeBaselineHalfLife must be > 0', {
      path: t.spikeFactor <= 0 ? 'spikeFactor' : 'spikeBaselineHalfLife',
    });
  }
  return t;
}

const DEFAULT_BASELINE_ALPHA = resolveAlpha({ halfLife: SPIKE_BASELINE_HALF_LIFE });

/** Pure check of one reading against a baseline (or none). */
export function classifyAnomalies(
  reading: AnomalyInput,
  baseline: AnomalyBaseline | undefined,
  thresholds: Readonly<AnomalyThresholds> = DEFAULT_ANOMALY_THRESHOLDS,
): AnomalyFlags {
  let spike = false;
  if (baseline !== undefined && baseline.count >= thresholds.spikeMinHistory) {
    const scoreBase = Math.max(baseline.scoreMean, thresholds.spikeScoreFloor);
    const latencyBase = Math.max(baseline.latencyMs, thresholds.spikeLatencyFloorMs);
    spike =
      reading.impedance_score > thresholds.spikeFactor * scoreBase ||
      reading.current_latency_ms > thresholds.spikeFactor * latencyBase;
  }
  return {
    degraded: reading.impedance_score > thresholds.degradedScore,
    unstable:
      reading.drift_coefficient > thresholds.unstableDrift &&
      reading.drift_coefficient * reading.current_latency_ms > thresholds.unstableSpreadFloorMs,
    spike,
  };
}

/** Numbers one agent's baseline takes: the score and latency EWMAs. */
export const ANOMALY_STATE_SLOTS = 2 * EWMA_SLOTS;

/** The baseline kept in `state` from `offset` (see AnomalyDetector.observeIn), or undefined before the first reading. */
export function anomalyBaselineIn(state: readonly number[], offset: number): AnomalyBaseline | undefined {
  const count = state[offset] ?? 0;
  if (count === 0) return undefined;
  return { count, scoreMean: state[offset + 1] ?? 0, latencyMs: state[offset + EWMA_SLOTS + 1] ?? 0 };
}

/**
 * Per-agent detector for a lead: checks each heartbeat against the agent's own history and
 * then folds it in, so a lasting change becomes the new normal after a few half-lives instead
 * of flagging forever. State is six numbers (score and latency EWMAs).
 */
export class AnomalyDetector {
  private readonly thresholds: Readonly<AnomalyThresholds>;
  private readonly alpha: number;
  // A plain number[] is about half the size of a Float64Array in V8; a lead holds 30,000 of these.
  private readonly state: number[] = new Array<number>(ANOMALY_STATE_SLOTS).fill(0);

  /** Without overrides every detector shares the frozen defaults instead of holding a copy. */
  constructor(overrides?: Partial<AnomalyThresholds>) {
    this.thresholds = overrides === undefined ? DEFAULT_ANOMALY_THRESHOLDS : resolveAnomalyThresholds(overrides);
    this.alpha =
      overrides === undefined
        ? DEFAULT_BASELINE_ALPHA
        : resolveAlpha({ halfLife: this.thresholds.spikeBaselineHalfLife });
  }

  /** The history so far, or undefined before the first reading. */
  baseline(): AnomalyBaseline | undefined {
    return anomalyBaselineIn(this.state, 0);
  }

  /** Flags for this reading, judged against earlier readings only; then records it. */
  observe(reading: AnomalyInput): AnomalyFlags {
    return this.observeIn(this.state, 0, reading);
  }

  /**
   * As observe(), for a baseline the caller keeps: ANOMALY_STATE_SLOTS numbers of `state` from
   * `offset`, zero before the first reading. A lead's registry keeps its agents' baselines in
   * their records' arrays and judges them all with one detector, not one detector per agent.
   */
  observeIn(state: number[], offset: number, reading: AnomalyInput): AnomalyFlags {
    const flags = classifyAnomalies(reading, anomalyBaselineIn(state, offset), this.thresholds);
    ewmaStep(state, offset, this.alpha, reading.impedance_score);
    ewmaStep(state, offset + EWMA_SLOTS, this.alpha, reading.current_latency_ms);
    return flags;
  }

  reset(): void {
    this.state.fill(0);
  }
}
