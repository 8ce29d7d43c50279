import { z } from 'zod';
import { MeshError, err, ok } from '../lib/errors.js';
import type { Result } from '../lib/errors.js';
import { AgentClass, OperationalState } from '../protocol/enums.js';
import { Capabilities, DurationMs, EpochMs, Id } from '../protocol/primitives.js';

/** Largest queue depth an agent may report; far beyond anything a Pi holds. */
export const MAX_QUEUE_DEPTH = 1_000_000;
/** Upper end of the impedance scale (spec 2.3: composite 0-1000). */
export const MAX_IMPEDANCE_SCORE = 1000;
/**
 * Bound on the drift coefficient. It is a coefficient of variation over at most a few hundred
 * non-negative samples, which cannot exceed sqrt(n - 1); 100 leaves room without allowing junk.
 */
export const MAX_DRIFT_COEFFICIENT = 100;

/**
 * One agent's impedance as it travels in heartbeats (spec 2.3), snake_case as on the wire.
 * Differences from the spec: `last_heartbeat` is epoch milliseconds, not an ISO string, and
 * `current_context_hash` is a SHA-256 hex digest or '' when no context is loaded.
 */
export const AgentImpedance = z.object({
  agent_id: Id,
  agent_class: AgentClass,
  sector_id: Id,
  cluster_id: Id,
  /** Median of the agent's recent network latency samples; a round trip, as in spec 2.3 (3.1 halves it). */
  current_latency_ms: DurationMs,
  /** Typical (median) time from receipt to ready. */
  current_processing_ms: DurationMs,
  current_queue_depth: z.number().int().min(0).max(MAX_QUEUE_DEPTH),
  last_heartbeat: EpochMs,
  impedance_score: z.number().min(0).max(MAX_IMPEDANCE_SCORE),
  /** Success rate over the last hour, 0-1. */
  reliability_score: z.number().min(0).max(1),
  /** Coefficient of variation of latency (stddev / mean). */
  drift_coefficient: z.number().min(0).max(MAX_DRIFT_COEFFICIENT),
  operational_state: OperationalState,
  current_context_hash: z.string().regex(/^(?:[0-9a-f]{64})?$/, 'must be 64 lower-case hex digits or empty'),
  capabilities: Capabilities,
});
export type AgentImpedance = z.infer<typeof AgentImpedance>;

/**
 * Validates untrusted input (a heartbeat body) without throwing. The error's path names the
 * first offending field, e.g. `impedance_score` or `capabilities.3`.
 */
export function parseAgentImpedance(input: unknown): Result<AgentImpedance> {
  const parsed = AgentImpedance.safeParse(input);
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  return err(
    new MeshError('INVALID_FIELDS', `invalid impedance record at ${path || '(root)'}: ${issue?.message ?? 'invalid'}`, {
      path,
      cause: parsed.error,
    }),
  );
}
