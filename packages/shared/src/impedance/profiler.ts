import { MeshError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { OperationalState } from '../protocol/enums.js';
import { AgentImpedance, MAX_DRIFT_COEFFICIENT, MAX_QUEUE_DEPTH } from './agent-impedance.js';
import { DEFAULT_ANOMALY_THRESHOLDS } from './anomalies.js';
import { driftCoefficient, impedanceScore } from './impedance-score.js';
import type { ScoreOptions } from './impedance-score.js';
import { ReliabilityTracker } from './reliability.js';
import type { ReliabilityOptions } from './reliability.js';
import { DEFAULT_SAMPLE_CAPACITY, RollingSamples } from './rolling-samples.js';

/** Largest duration a record may carry (the schema's DurationMs bound: one day). */
const MAX_REPORTED_MS = 86_400_000;

/** Who the agent is: the fixed part of its impedance record. */
export type ProfilerIdentity = Pick<
  AgentImpedance,
  'agent_id' | 'agent_class' | 'sector_id' | 'cluster_id' | 'capabilities'
> & { current_context_hash?: string };

export interface ImpedanceProfilerDeps {
  clock: Clock;
  /** Operations waiting on this agent right now. */
  queueDepth: () => number;
}

export interface ImpedanceProfilerOptions {
  sampleCapacity?: number;
  reliability?: ReliabilityOptions;
  score?: ScoreOptions;
  /** Above this score the agent reports itself `degraded`. */
  degradedScore?: number;
}

/**
 * The agent's side of spec 4.1: collects its own latency, processing and outcome measurements
 * and builds the impedance record each heartbeat carries. Nothing here sends anything.
 */
export class ImpedanceProfiler {
  private readonly identity: ProfilerIdentity;
  private readonly latency: RollingSamples;
  private readonly processing: RollingSamples;
  private readonly reliability: ReliabilityTracker;
  private readonly scoreOptions: ScoreOptions;
  private readonly degradedScore: number;
  private contextHash: string;
  private stateOverride: OperationalState | undefined;

  constructor(
    identity: ProfilerIdentity,
    private readonly deps: ImpedanceProfilerDeps,
    options: ImpedanceProfilerOptions = {},
  ) {
    const fixed = AgentImpedance.pick({
      agent_id: true,
      agent_class: true,
      sector_id: true,
      cluster_id: true,
      capabilities: true,
      current_context_hash: true,
    }).safeParse({ current_context_hash: '', ...identity });
    if (!fixed.success) {
      const issue = fixed.error.issues[0];
      const path = issue?.path.map(String).join('.') ?? '';
      throw new MeshError('INVALID_ARGUMENT', `invalid profiler identity at ${path}: ${issue?.message ?? ''}`, {
        path,
        cause: fixed.error,
      });
    }
    this.identity = fixed.data;
    this.contextHash = fixed.data.current_context_hash;
    const capacity = options.sampleCapacity ?? DEFAULT_SAMPLE_CAPACITY;
    this.latency = new RollingSamples(capacity);
    this.processing = new RollingSamples(capacity);
    this.reliability = new ReliabilityTracker({ clock: deps.clock }, options.reliability);
    this.scoreOptions = options.score ?? {};
    this.degradedScore = options.degradedScore ?? DEFAULT_ANOMALY_THRESHOLDS.degradedScore;
  }

  /** A network latency measurement (e.g. a heartbeat round trip), ms. */
  recordLatency(ms: number): void {
    this.latency.add(checkDuration(ms, 'latency'));
  }

  /** Time from receiving an operation to being ready, ms. */
  recordProcessing(ms: number): void {
    this.processing.add(checkDuration(ms, 'processing'));
  }

  /** Outcome of one operation, stamped with the clock's now. */
  recordOutcome(success: boolean): void {
    this.reliability.record(success);
  }

  setContextHash(hash: string): void {
    const parsed = AgentImpedance.shape.current_context_hash.safeParse(hash);
    if (!parsed.success) {
      throw new MeshError('INVALID_ARGUMENT', 'context hash must be 64 lower-case hex digits or empty', {
        path: 'current_context_hash',
      });
    }
    this.contextHash = parsed.data;
  }

  /**
   * Forces the reported state (an operator quarantine, or `offline` in a farewell heartbeat);
   * undefined returns to the computed one: `degraded` above the degraded score, else `active`.
   */
  setStateOverride(state: OperationalState | undefined): void {
    this.stateOverride = state;
  }

  /** The record for a heartbeat sent at `now`. */
  snapshot(now: number = this.deps.clock.now()): AgentImpedance {
    const [latencyP50 = 0] = this.latency.percentiles([50]);
    const [processingP50 = 0] = this.processing.percentiles([50]);
    const rawQueue = this.deps.queueDepth();
    const queue = Number.isFinite(rawQueue) ? Math.min(MAX_QUEUE_DEPTH, Math.max(0, Math.round(rawQueue))) : 0;
    const latencyMs = Math.min(MAX_REPORTED_MS, latencyP50);
    const processingMs = Math.min(MAX_REPORTED_MS, processingP50);
    const score = impedanceScore({ latencyMs, processingMs, queueDepth: queue }, this.scoreOptions);
    const drift = Math.min(MAX_DRIFT_COEFFICIENT, driftCoefficient(this.latency.mean(), this.latency.stdDev()));
    return {
      agent_id: this.identity.agent_id,
      agent_class: this.identity.agent_class,
      sector_id: this.identity.sector_id,
      cluster_id: this.identity.cluster_id,
      current_latency_ms: latencyMs,
      current_processing_ms: processingMs,
      current_queue_depth: queue,
      last_heartbeat: now,
      impedance_score: score,
      reliability_score: this.reliability.score(now),
      drift_coefficient: drift,
      operational_state: this.stateOverride ?? (score > this.degradedScore ? 'degraded' : 'active'),
      current_context_hash: this.contextHash,
      capabilities: [...this.identity.capabilities],
    };
  }
}

function checkDuration(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new MeshError('INVALID_ARGUMENT', `${what} must be a finite number >= 0, got ${ms}`, { path: what });
  }
  return ms;
}
