import type { AgentClass } from '@mesh30k/shared';

/** Who the agent is and whom it answers to. */
export interface AgentIdentity {
  agentId: string;
  clusterId: string;
  sectorId: string;
  agentClass: AgentClass;
  capabilities: readonly string[];
  /** The lead this agent heartbeats to and takes coordination from. */
  leadId: string;
}

/** Timing and sizing knobs; every one has a default (DEFAULT_AGENT_TUNING). */
export interface AgentTuning {
  heartbeatIntervalMs: number;
  /** Each interval is drawn from interval x (1 +- jitter). */
  heartbeatJitter: number;
  heartbeatTimeoutMs: number;
  /** Beats sent at `burstIntervalMs` after start until this many clock samples exist. */
  burstSamples: number;
  burstIntervalMs: number;
  /** Bounds on an interval the lead asks for. */
  minHeartbeatIntervalMs: number;
  maxHeartbeatIntervalMs: number;
  ackTimeoutMs: number;
  /** ttl_ms of messages the agent sends. */
  messageTtlMs: number;
  /** How long message ids are remembered, and the longest ttl honoured. */
  replayWindowMs: number;
  /** Clock disagreement tolerated on created_at. */
  replaySkewMs: number;
  queueCapacity: number;
  concurrency: number;
  /** A queued item gains one priority level per this many ms waited (starvation bound). */
  agingMs: number;
  /** A COORDINATE whose T passed more than max(arrival window, this) ago is declined. */
  lateGraceMs: number;
  outboxRatePerSec: number;
  outboxBatch: number;
  outboxRetryMinMs: number;
  outboxRetryMaxMs: number;
  /** Longest wait for in-flight handlers at shutdown before they are handed back. */
  shutdownGraceMs: number;
  /** Samples kept by the impedance profiler (smaller in simulation to save memory). */
  sampleCapacity: number;
}

export const DEFAULT_AGENT_TUNING: Readonly<AgentTuning> = Object.freeze({
  heartbeatIntervalMs: 5_000,
  heartbeatJitter: 0.1,
  heartbeatTimeoutMs: 2_000,
  burstSamples: 4,
  burstIntervalMs: 500,
  minHeartbeatIntervalMs: 100,
  maxHeartbeatIntervalMs: 60_000,
  ackTimeoutMs: 2_000,
  messageTtlMs: 30_000,
  replayWindowMs: 60_000,
  replaySkewMs: 2_000,
  queueCapacity: 64,
  concurrency: 1,
  agingMs: 1_000,
  lateGraceMs: 1_000,
  outboxRatePerSec: 50,
  outboxBatch: 16,
  outboxRetryMinMs: 500,
  outboxRetryMaxMs: 30_000,
  shutdownGraceMs: 2_000,
  sampleCapacity: 100,
});

export function resolveTuning(overrides: Partial<AgentTuning> = {}): Readonly<AgentTuning> {
  const tuning = { ...DEFAULT_AGENT_TUNING };
  for (const [key, value] of Object.entries(overrides) as [keyof AgentTuning, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`agent tuning ${key} must be a finite number >= 0, got ${value}`);
    tuning[key] = value;
  }
  if (tuning.queueCapacity < 1 || tuning.concurrency < 1) throw new RangeError('queueCapacity and concurrency must be at least 1');
  return Object.freeze(tuning);
}
