/**
 * What a caller asks the delegator to do: one task for one agent, chosen by capability, class,
 * id or from everyone, with a timeout per attempt and a cap on attempts. One schema, the types
 * inferred from it; raw requests are parsed once.
 */
import { z } from 'zod';
import { AgentClass, Id, Priority, Verb } from '@mesh30k/shared';

/** The spec's delegate() default (7.1: timeout_seconds=300), per attempt. */
export const DEFAULT_DELEGATION_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
/** More attempts than this is a broadcast, not a delegation. */
export const MAX_ATTEMPTS_LIMIT = 16;
/** Longest caller-chosen id: each attempt's operation id is `<id>-a<n>` and must stay a valid Id. */
const MAX_DELEGATION_ID_LENGTH = 56;

export const DelegationTask = z.strictObject({
  verb: Verb,
  payload: z.unknown(),
  /** 0..10, as COORDINATE.payload_weight: heavier payloads take longer to process. */
  payloadWeight: z.number().min(0).max(10).default(0),
});

/** Whom to delegate to: the best agent holding a capability, of a class, one named agent, or anyone. */
export const DelegationTarget = z.union([
  z.literal('best_available'),
  z.strictObject({ capability: z.string().min(1).max(64) }),
  z.strictObject({ agentClass: AgentClass }),
  z.strictObject({ agentId: Id }),
]);

export const DelegationRequest = z.strictObject({
  /** Chosen by the delegator when absent. */
  delegationId: Id.max(MAX_DELEGATION_ID_LENGTH, `at most ${MAX_DELEGATION_ID_LENGTH} characters`).optional(),
  task: DelegationTask,
  to: DelegationTarget.default('best_available'),
  /** Per attempt: from the COORDINATE's send to the latest ACK that still counts. */
  timeoutMs: z.number().int().positive().max(86_400_000).default(DEFAULT_DELEGATION_TIMEOUT_MS),
  /** Agents tried at most (the first one included). */
  maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT).default(DEFAULT_MAX_ATTEMPTS),
  priority: Priority.default(1),
  /** Started by the system rather than an operator (degradation modes treat these differently). */
  automated: z.boolean().default(false),
});

export type DelegationRequestInput = z.input<typeof DelegationRequest>;
export type ParsedDelegation = z.output<typeof DelegationRequest>;
export type DelegationTargetSpec = z.output<typeof DelegationTarget>;

export interface DelegationInputError {
  readonly code: 'INVALID_DELEGATION';
  readonly reason: string;
  /** Dotted path of the offending field. */
  readonly path: string;
}

export function parseDelegation(raw: unknown): { ok: true; value: ParsedDelegation } | { ok: false; error: DelegationInputError } {
  const parsed = DelegationRequest.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  return { ok: false, error: { code: 'INVALID_DELEGATION', reason: `${path || '(root)'}: ${issue?.message ?? 'invalid'}`, path } };
}

/** A one-line description of the target, for logs and dead letters. */
export function describeTarget(to: DelegationTargetSpec): string {
  if (to === 'best_available') return 'best_available';
  if ('capability' in to) return `capability ${to.capability}`;
  if ('agentClass' in to) return `class ${to.agentClass}`;
  return `agent ${to.agentId}`;
}
