/**
 * What an operator (or the cascade) asks the engine to do: one schema, the type inferred from it.
 * Raw requests are parsed once; the engine works on the resolved, defaulted form.
 */
import { z } from 'zod';
import {
  Capabilities,
  DEFAULT_ARRIVAL_WINDOW_MS,
  DurationMs,
  EpochMs,
  Id,
  PayloadValue,
  Priority,
  type PayloadLimit,
  QUORUM_DEFAULTS,
  RequestedReleaseMode,
  Selector,
  Verb,
} from '@mesh30k/shared';
import type { ScatterRefusal } from './errors.js';
import { impliedCapabilities, withImplied } from './verb-capabilities.js';

const PAYLOAD_LIMITS: ReadonlySet<string> = new Set<PayloadLimit>(['bytes', 'depth', 'keys']);

/** The wire limit a payload issue names (set by shared's payloadSchema), if any. */
function payloadLimitOf(issue: z.core.$ZodIssue | undefined): PayloadLimit | undefined {
  if (issue?.code !== 'custom' || issue.path[0] !== 'payload') return undefined;
  const limit = (issue.params as { limit?: unknown } | undefined)?.limit;
  return typeof limit === 'string' && PAYLOAD_LIMITS.has(limit) ? (limit as PayloadLimit) : undefined;
}

/** The spec's scatter-gather timeout (3.2). */
export const DEFAULT_TIMEOUT_MS = 5_000;
/** Without an explicit T, T is at most this share of the timeout ahead, leaving the rest to gather. */
export const DEFAULT_LEAD_HORIZON_SHARE = 0.5;
/** Priority of an operation that does not say: above background, below urgent. */
export const DEFAULT_PRIORITY = 1;

const Rate = z.number().min(0).max(1);

export const OperationRequest = z
  .object({
    /** Chosen by the engine when absent; must be unique while the operation is remembered. */
    operationId: Id.optional(),
    verb: Verb,
    /** Any JSON within the wire limits (shared's WIRE_LIMITS), so its COORDINATE fits every agent's frame limit. */
    payload: PayloadValue,
    /** 0..10, the spec's payload weight: heavier payloads take longer to process. */
    payloadWeight: z.number().min(0).max(10).default(0),
    targets: Selector,
    releaseMode: RequestedReleaseMode.default('auto'),
    /** An agent is on time when it is READY within this many ms of T, either side. */
    arrivalWindowMs: DurationMs.gt(0, 'must be positive').default(DEFAULT_ARRIVAL_WINDOW_MS),
    /** Share of sent agents that must be READY for SUCCESS (the quorum's required ready rate). */
    minResponseRate: Rate.default(QUORUM_DEFAULTS.requiredReadyRate),
    maxConflictRate: Rate.default(QUORUM_DEFAULTS.maxConflictRate),
    maxTransitRate: Rate.default(QUORUM_DEFAULTS.maxTransitRate),
    /** From the start of the operation (not from submission) to the latest decision. */
    timeoutMs: DurationMs.gt(0, 'must be positive').default(DEFAULT_TIMEOUT_MS),
    priority: Priority.default(DEFAULT_PRIORITY),
    /** T in mesh time. Absent: as soon as the slowest selected agent can make it, within the horizon. */
    targetTime: EpochMs.optional(),
    /** Without targetTime, T is at most this far ahead; default DEFAULT_LEAD_HORIZON_SHARE x timeoutMs. */
    leadHorizonMs: DurationMs.optional(),
    /** Capabilities every target must hold; agents without them are skipped (capability_mismatch). */
    requiresCapabilities: Capabilities.default([]),
    /** Started by the system, not by an operator (degradation modes treat these differently). */
    automated: z.boolean().default(false),
    /** An operator confirmed this operation: waives the degradation gate, and the result says so. */
    operatorOverride: z.boolean().default(false),
  })
  .strict();

export type OperationRequestInput = z.input<typeof OperationRequest>;
export type ResolvedOperation = z.output<typeof OperationRequest> & { operationId: string; leadHorizonMs: number };

/** Parses a raw request; refusals name the offending field. */
export function parseOperation(raw: unknown, newId: () => string): { ok: true; value: ResolvedOperation } | { ok: false; error: ScatterRefusal } {
  const parsed = OperationRequest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    const reason = `${path || '(root)'}: ${issue?.message ?? 'invalid'}`;
    const limit = payloadLimitOf(issue);
    if (limit === undefined) return { ok: false, error: { code: 'INVALID_OPERATION', reason, path } };
    // A payload over the byte limit is too large rather than malformed (the API answers 413).
    return { ok: false, error: { code: limit === 'bytes' ? 'PAYLOAD_TOO_LARGE' : 'INVALID_OPERATION', reason, path, limit } };
  }
  const op = parsed.data;
  return {
    ok: true,
    value: {
      ...op,
      operationId: op.operationId ?? newId(),
      requiresCapabilities: withImplied(op.requiresCapabilities, impliedCapabilities(op.verb, op.payload)),
      leadHorizonMs: op.leadHorizonMs ?? op.timeoutMs * DEFAULT_LEAD_HORIZON_SHARE,
    },
  };
}
