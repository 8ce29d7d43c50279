import { z } from 'zod';
import { ConflictType } from '../protocol/enums.js';
import { Sha256Hex } from '../protocol/primitives.js';

/**
 * Conflict (trinary -1) triage of spec 5.1: how urgent a reported conflict is, who must hear
 * about it, and how to go about resolving it. A conflict is information, not a failure.
 */

/** Size limits of a ConflictDetail; values are carried as text so their size is bounded. */
export const CONFLICT_LIMITS = Object.freeze({
  maxValueChars: 4_096,
  maxDetailChars: 1_024,
  maxDivergenceDepth: 1_000_000,
  maxAffectedAgents: 10_000_000,
});

/** A conflict as it travels in an ACK or CONFLICT report (snake_case, like the rest of the wire). */
export const ConflictDetail = z.object({
  type: ConflictType,
  /** What the agent's context holds, as text (JSON for structured values). */
  expected_value: z.string().max(CONFLICT_LIMITS.maxValueChars),
  /** What the message asked it to accept. */
  received_value: z.string().max(CONFLICT_LIMITS.maxValueChars),
  /** SHA-256 of the agent's context when it saw the conflict. */
  context_hash: Sha256Hex,
  /** How many steps back the two world models agree (CONTEXT_DIVERGENCE). */
  divergence_depth: z.number().int().min(0).max(CONFLICT_LIMITS.maxDivergenceDepth).optional(),
  /** How many agents hold the contradicted fact (DATA_CONTRADICTION). */
  affects_agent_count: z.number().int().min(0).max(CONFLICT_LIMITS.maxAffectedAgents).optional(),
  detail: z.string().max(CONFLICT_LIMITS.maxDetailChars),
});
export type ConflictDetail = z.infer<typeof ConflictDetail>;

/** 0 background, 1 low (within the hour), 2 medium (10 min), 3 high (1 min), 4 critical (now). */
export const ConflictPriority = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
export type ConflictPriority = z.infer<typeof ConflictPriority>;

export interface ConflictPriorityThresholds {
  readonly divergenceDepthAbove: number;
  readonly affectedAgentsAbove: number;
  readonly escalateToParentAt: number;
  readonly escalateToOrchestratorAt: number;
}

export const CONFLICT_PRIORITY_DEFAULTS: ConflictPriorityThresholds = Object.freeze({
  /** CONTEXT_DIVERGENCE deeper than this is high priority. */
  divergenceDepthAbove: 10,
  /** DATA_CONTRADICTION touching more agents than this is high priority. */
  affectedAgentsAbove: 100,
  /** Escalate to the parent lead (sector) from this priority up. */
  escalateToParentAt: 3,
  /** Escalate to the orchestrator (root lead) from this priority up. */
  escalateToOrchestratorAt: 4,
});

export type ConflictPriorityOptions = Partial<ConflictPriorityThresholds>;

/** How soon a conflict of each priority should be resolved; null: whenever convenient. */
export const RESOLVE_WITHIN_MS: Readonly<Record<ConflictPriority, number | null>> = Object.freeze({
  0: null,
  1: 3_600_000,
  2: 600_000,
  3: 60_000,
  4: 0,
});

/**
 * Priority of a conflict. A missing divergence depth or affected count counts as 0, so a
 * report that leaves them out is never treated as more urgent than it shows.
 */
export function conflictPriority(
  detail: Pick<ConflictDetail, 'type' | 'divergence_depth' | 'affects_agent_count'>,
  options: ConflictPriorityOptions = {},
): ConflictPriority {
  const o = { ...CONFLICT_PRIORITY_DEFAULTS, ...options };
  switch (detail.type) {
    case 'CONTEXT_DIVERGENCE':
      return (detail.divergence_depth ?? 0) > o.divergenceDepthAbove ? 3 : 2;
    case 'DATA_CONTRADICTION':
      return (detail.affects_agent_count ?? 0) > o.affectedAgentsAbove ? 3 : 2;
    case 'TEMPORAL_PARADOX':
      return 4; // causality broken: timestamps cannot be trusted anywhere downstream
    case 'CAPABILITY_MISMATCH':
      return 1; // a routing mistake; the agent refused safely
    case 'HASH_MISMATCH':
      return 4; // corruption or tampering
    case 'OTHER':
      return 2;
  }
}

export type Escalation = 'none' | 'parent' | 'orchestrator';

export function escalationFor(priority: ConflictPriority, options: ConflictPriorityOptions = {}): Escalation {
  const o = { ...CONFLICT_PRIORITY_DEFAULTS, ...options };
  if (priority >= o.escalateToOrchestratorAt) return 'orchestrator';
  if (priority >= o.escalateToParentAt) return 'parent';
  return 'none';
}

export interface ResolutionStrategy {
  readonly method: string;
  readonly steps: readonly string[];
}

export const RESOLUTION_STRATEGIES: Readonly<Record<ConflictType, ResolutionStrategy>> = Object.freeze({
  CONTEXT_DIVERGENCE: {
    method: 'FORK_AND_MERGE',
    steps: [
      'Keep each divergent context as its own branch, neither overwriting the other',
      'Let agents keep working on the branch they hold',
      'Find the last state both branches agree on and replay forward from it',
      'Send whatever cannot be merged automatically to an operator',
    ],
  },
  DATA_CONTRADICTION: {
    method: 'TRACE_ORIGIN',
    steps: [
      'Follow each value back to the agent or sensor that first produced it',
      'Locate the hop where the two histories split',
      'Keep the value whose origin is signed, newer and better attested',
      'Correct the agents holding the other value',
    ],
  },
  TEMPORAL_PARADOX: {
    method: 'REORDER_BY_CAUSALITY',
    steps: [
      'Compare the logical timestamps of the events involved',
      'Check the clock offset and drift estimates of the agents that stamped them',
      'Find which clock jumped or drifted and re-synchronise it',
      'Rebuild the order of events from causal links, not wall-clock times',
    ],
  },
  CAPABILITY_MISMATCH: {
    method: 'REROUTE_TO_CAPABLE',
    steps: [
      'Compare the requested capability with the agent enrollment record',
      'Route the work to an agent enrolled for that capability',
      'Correct the registry entry that sent it to the wrong agent',
    ],
  },
  HASH_MISMATCH: {
    method: 'ISOLATE_AND_RELOAD',
    steps: [
      'Quarantine the agent and stop routing to it',
      'Keep the mismatching context for forensic comparison',
      'Reload the agent from the last context whose hash verified',
      'Check signatures and key status in case of tampering',
    ],
  },
  OTHER: {
    method: 'MANUAL_TRIAGE',
    steps: ['Record the report with its context hash', 'Assign it to an operator for classification'],
  },
});

export function suggestResolution(type: ConflictType): ResolutionStrategy {
  return RESOLUTION_STRATEGIES[type];
}

export interface ConflictTriage {
  readonly priority: ConflictPriority;
  readonly escalation: Escalation;
  readonly resolveWithinMs: number | null;
  readonly strategy: ResolutionStrategy;
}

/** Everything the lead needs to queue a conflict for resolution. */
export function triageConflict(detail: ConflictDetail, options: ConflictPriorityOptions = {}): ConflictTriage {
  const priority = conflictPriority(detail, options);
  return {
    priority,
    escalation: escalationFor(priority, options),
    resolveWithinMs: RESOLVE_WITHIN_MS[priority],
    strategy: suggestResolution(detail.type),
  };
}
