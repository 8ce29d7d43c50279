/**
 * Delegation (issue 4, item 9; spec 7.1 delegate): one task to the best agent for it. Each
 * attempt is a one-agent scatter-gather run by the lead's own engine (release mode `none`,
 * selector = that agent's id, minimum response rate 1.0), so the COORDINATE is built, signed and
 * sent by the engine's code on `coordinateAgent(agentId)`, the ACK comes back through the
 * engine's one ACK subscription and intake, admission control and the degradation gate apply,
 * the operation is in the operations history, and the engine's outcome recorder moves the
 * agent's health (and the breakers) exactly as for any operation. On a timeout, refusal,
 * CONFLICT, TRANSIT or skip the task goes to the next best agent; when none is left (or the
 * attempts are used up, or the engine refused the operation) a dead letter keeps the full
 * context and the result is FAILED.
 */
import { newMessageId } from '@mesh30k/shared';
import type { Ack, Clock } from '@mesh30k/shared';
import type { Logger } from 'pino';
import type { SubmitHandle } from '../scatter/engine.js';
import type { ScatterResult } from '../scatter/record.js';
import type { DeadLetter } from '../store/dead-letters.js';
import type { AgentView } from '../registry/views.js';
import type { AckTap } from './ack-tap.js';
import { rankCandidates } from './chooser.js';
import type { DelegationRegistry, Exclusion } from './chooser.js';
import { describeTarget, parseDelegation } from './request.js';
import type { DelegationInputError, ParsedDelegation } from './request.js';

export const DELEGATION_EVENTS = Object.freeze({
  assigned: 'delegation.assigned',
  reassigned: 'delegation.reassigned',
  succeeded: 'delegation.succeeded',
  failed: 'delegation.failed',
});

/** The dead-letter kind of a delegation nobody could take. */
export const DELEGATION_DEAD_LETTER_KIND = 'delegation';
/** At most this many exclusions go into a result or dead letter (best_available over 30,000 agents). */
export const MAX_REPORTED_EXCLUSIONS = 50;

/**
 * What became of one attempt: ready is success; timeout is no ACK by the deadline; conflict,
 * refused and transit are ACKs that did not take the task; skipped means the engine did not
 * send (breaker open, frozen, lead time, send failed); engine_refused means the operation was
 * not admitted (saturated, degradation mode, stopped).
 */
export type AttemptOutcome = 'ready' | 'timeout' | 'conflict' | 'refused' | 'transit' | 'skipped' | 'engine_refused';

export interface DelegationAttempt {
  readonly attempt: number;
  readonly agentId: string;
  /** The scatter operation of this attempt (operations history, GET /v1/operations/:id). */
  readonly operationId: string;
  readonly outcome: AttemptOutcome;
  readonly reason: string;
  /** What the chooser expected: one-way delay + processing, ms. */
  readonly expectedTotalMs: number;
  readonly startedAt: number;
  readonly elapsedMs: number;
}

export interface DelegationResult {
  readonly delegationId: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** The agent that took the task; null when FAILED. */
  readonly agentId: string | null;
  readonly attempts: readonly DelegationAttempt[];
  /** The ACK's `result`, when it carried one (needs the AckTap wired into the engine's verifier). */
  readonly result?: unknown;
  readonly elapsedMs: number;
  /** Why it FAILED; null when it SUCCEEDED. */
  readonly reason: string | null;
  readonly deadLetterId: number | null;
  /** Agents the target matched that were never tried, with why (first ranking, capped). */
  readonly excluded: readonly Exclusion[];
}

export type DelegateOutcome = { readonly ok: true; readonly result: DelegationResult } | { readonly ok: false; readonly error: DelegationInputError };

export interface DelegationDeps {
  readonly clock: Clock;
  /** The lead's scatter engine (ScatterEngine.submit). */
  readonly engine: { submit(raw: unknown): Promise<SubmitHandle> };
  /** The lead's registry (src/registry/registry.ts satisfies this). */
  readonly registry: DelegationRegistry;
  /** The store's dead letters (LeadStore.deadLetters). */
  readonly deadLetters: { add(letter: Omit<DeadLetter, 'id'>): number };
  readonly logger: Logger;
  /** The tap wrapped around the engine's ACK verifier; without it results carry no ACK payload. */
  readonly acks?: AckTap;
  /** Side-effect-free routability pre-check (freeze); see RankOptions.precheck. */
  readonly precheck?: (agent: AgentView) => string | null;
  /** A lead-wide refusal (FreezeControl.admissionRefusal): FAILED without any attempt. */
  readonly admissionRefusal?: () => string | null;
  readonly delayQuantumMs?: number;
  /**
   * The degradation mode's retryTimeoutFactor (shared restrictionsFor): a reassigned attempt
   * waits this many times the request's timeout, since a degraded mesh answers more slowly.
   */
  readonly retryTimeoutFactor?: () => number;
}

export type StartOutcome =
  | { readonly ok: true; readonly delegationId: string; readonly done: Promise<DelegationResult> }
  | { readonly ok: false; readonly error: DelegationInputError };

export interface Delegator {
  /** Parses and starts; `done` settles when the delegation ends and never rejects. */
  start(raw: unknown): StartOutcome;
  /** Parses, then runs the delegation to its end; never rejects. */
  delegate(raw: unknown): Promise<DelegateOutcome>;
  /** Delegations running now. */
  readonly inFlight: number;
}

export function createDelegator(deps: DelegationDeps): Delegator {
  let inFlight = 0;
  return {
    get inFlight() {
      return inFlight;
    },
    start(raw) {
      const parsed = parseDelegation(raw);
      if (!parsed.ok) return parsed;
      const request = parsed.value;
      const delegationId = request.delegationId ?? `dlg-${newMessageId(deps.clock.now())}`;
      inFlight += 1;
      const done = run(deps, request, delegationId)
        .catch((error: unknown): DelegationResult => {
          deps.logger.error({ err: error, delegation_id: delegationId }, 'delegation failed unexpectedly');
          return { delegationId, status: 'FAILED', agentId: null, attempts: [], elapsedMs: 0, reason: `internal error: ${String(error)}`, deadLetterId: null, excluded: [] };
        })
        .finally(() => {
          inFlight -= 1;
        });
      return { ok: true, delegationId, done };
    },
    async delegate(raw) {
      const started = this.start(raw);
      if (!started.ok) return started;
      return { ok: true, result: await started.done };
    },
  };
}

async function run(deps: DelegationDeps, request: ParsedDelegation, delegationId: string): Promise<DelegationResult> {
  const { clock } = deps;
  const startedAt = clock.now();
  const log = deps.logger.child({ delegation_id: delegationId });
  const attempts: DelegationAttempt[] = [];
  const tried = new Set<string>();
  let excluded: readonly Exclusion[] | null = null;

  const fail = (reason: string): DelegationResult => {
    const reported = (excluded ?? []).slice(0, MAX_REPORTED_EXCLUSIONS);
    const deadLetterId = writeDeadLetter(deps, { delegationId, request, attempts, excluded: reported, reason });
    log.warn({ event: DELEGATION_EVENTS.failed, attempts: attempts.length, reason, dead_letter_id: deadLetterId }, 'delegation failed');
    return { delegationId, status: 'FAILED', agentId: null, attempts, elapsedMs: clock.now() - startedAt, reason, deadLetterId, excluded: reported };
  };

  const frozen = deps.admissionRefusal?.() ?? null;
  if (frozen !== null) return fail(`FROZEN: ${frozen}`);

  for (let n = 1; n <= request.maxAttempts; n++) {
    const ranking = rankCandidates(deps.registry, request, {
      exclude: tried,
      ...(deps.precheck === undefined ? {} : { precheck: deps.precheck }),
      ...(deps.delayQuantumMs === undefined ? {} : { delayQuantumMs: deps.delayQuantumMs }),
    });
    excluded ??= ranking.excluded;
    const candidate = ranking.ranked[0];
    if (candidate === undefined) {
      return fail(attempts.length === 0 ? `no agent can take the task (${describeTarget(request.to)}: ${summarize(ranking.excluded)})` : `no agent left after ${attempts.length} attempt(s)`);
    }
    tried.add(candidate.agentId);
    const operationId = `${delegationId}-a${n}`;
    const attemptStart = clock.now();
    log.info(
      { event: n === 1 ? DELEGATION_EVENTS.assigned : DELEGATION_EVENTS.reassigned, attempt: n, agent_id: candidate.agentId, operation_id: operationId, expected_total_ms: candidate.expectedTotalMs, health: candidate.healthScore },
      n === 1 ? 'delegation assigned' : 'delegation reassigned',
    );
    deps.acks?.watch(operationId);
    let verdict: Verdict;
    try {
      verdict = await attempt(deps, request, operationId, candidate.agentId, n === 1 ? 1 : (deps.retryTimeoutFactor?.() ?? 1));
    } finally {
      deps.acks?.release(operationId);
    }
    attempts.push({ attempt: n, agentId: candidate.agentId, operationId, outcome: verdict.outcome, reason: verdict.reason, expectedTotalMs: candidate.expectedTotalMs, startedAt: attemptStart, elapsedMs: clock.now() - attemptStart });
    if (verdict.outcome === 'ready') {
      log.info({ event: DELEGATION_EVENTS.succeeded, attempt: n, agent_id: candidate.agentId, operation_id: operationId }, 'delegation succeeded');
      return {
        delegationId,
        status: 'SUCCEEDED',
        agentId: candidate.agentId,
        attempts,
        ...(verdict.ack !== undefined && 'result' in verdict.ack ? { result: verdict.ack.result } : {}),
        elapsedMs: clock.now() - startedAt,
        reason: null,
        deadLetterId: null,
        excluded: (excluded ?? []).slice(0, MAX_REPORTED_EXCLUSIONS),
      };
    }
    if (verdict.outcome === 'engine_refused') return fail(`the engine refused the operation: ${verdict.reason}`);
  }
  return fail(`${request.maxAttempts} attempt(s) used, none succeeded`);
}

interface Verdict {
  readonly outcome: AttemptOutcome;
  readonly reason: string;
  readonly ack?: Ack;
}

async function attempt(deps: DelegationDeps, request: ParsedDelegation, operationId: string, agentId: string, timeoutFactor: number): Promise<Verdict> {
  const { task } = request;
  const timeoutMs = Math.round(request.timeoutMs * Math.max(1, timeoutFactor));
  let handle: SubmitHandle;
  try {
    handle = await deps.engine.submit({
      operationId,
      verb: task.verb,
      payload: task.payload,
      payloadWeight: task.payloadWeight,
      targets: { agent_ids: [agentId] },
      releaseMode: 'none',
      // T is as soon as the agent can make it; the window and horizon stretch to the timeout so
      // the engine's deadline is start + timeoutMs (a task may run long past its estimate).
      arrivalWindowMs: timeoutMs,
      leadHorizonMs: timeoutMs,
      timeoutMs,
      minResponseRate: 1,
      priority: request.priority,
      requiresCapabilities: request.to !== 'best_available' && 'capability' in request.to ? [request.to.capability] : [],
      automated: request.automated,
    });
  } catch (error) {
    return { outcome: 'engine_refused', reason: `submit failed: ${String(error)}` };
  }
  const outcome = await handle.outcome;
  if (outcome.status === 'refused') return { outcome: 'engine_refused', reason: `${outcome.refusal.code}: ${outcome.refusal.reason}` };
  const ack = deps.acks?.take(operationId, agentId);
  return verdictOf(outcome.result, agentId, timeoutMs, ack);
}

/** What the one-agent scatter result says about its agent. */
export function verdictOf(result: ScatterResult, agentId: string, timeoutMs: number, ack?: Ack): Verdict {
  const withAck = ack === undefined ? {} : { ack };
  const skipped = result.skipped.find((s) => s.agentId === agentId);
  if (skipped !== undefined) return { outcome: 'skipped', reason: `${skipped.reason}: ${skipped.detail}` };
  const conflict = result.conflicts.find((a) => a.agentId === agentId);
  if (conflict !== undefined) {
    const detail = ack?.conflict === undefined ? '' : `: ${ack.conflict.type}${ack.conflict.detail === undefined ? '' : ` (${ack.conflict.detail})`}`;
    return { outcome: 'conflict', reason: `CONFLICT${detail}`, ...withAck };
  }
  const response = result.responders.find((a) => a.agentId === agentId);
  if (response !== undefined) {
    switch (response.outcome) {
      case 'ready':
        return { outcome: 'ready', reason: 'READY', ...withAck };
      case 'refused':
      case 'unrunnable':
        return { outcome: 'refused', reason: response.refusal === null ? 'refused' : `${response.refusal.code}: ${response.refusal.message}`, ...withAck };
      case 'conflict':
        return { outcome: 'conflict', reason: 'CONFLICT', ...withAck };
      case 'transit':
      case 'no_ack':
        return { outcome: 'transit', reason: 'answered TRANSIT (not ready)', ...withAck };
    }
  }
  if (result.stragglers.includes(agentId)) return { outcome: 'timeout', reason: `no ACK within ${timeoutMs} ms` };
  return { outcome: 'skipped', reason: `not sent (${result.counts.sent} sent, decision ${result.decision})` };
}

function summarize(excluded: readonly Exclusion[]): string {
  if (excluded.length === 0) return 'no agent matches';
  const counts = new Map<string, number>();
  for (const e of excluded) counts.set(e.code, (counts.get(e.code) ?? 0) + 1);
  return [...counts].map(([code, count]) => `${count} ${code}`).join(', ');
}

function writeDeadLetter(
  deps: DelegationDeps,
  context: { delegationId: string; request: ParsedDelegation; attempts: readonly DelegationAttempt[]; excluded: readonly Exclusion[]; reason: string },
): number | null {
  const { request, attempts } = context;
  try {
    return deps.deadLetters.add({
      createdAt: deps.clock.now(),
      operationId: context.delegationId,
      agentId: attempts.at(-1)?.agentId ?? null,
      kind: DELEGATION_DEAD_LETTER_KIND,
      reason: context.reason,
      attempts: attempts.length,
      payload: {
        delegation_id: context.delegationId,
        task: { verb: request.task.verb, payload: request.task.payload ?? null, payload_weight: request.task.payloadWeight },
        to: request.to,
        timeout_ms: request.timeoutMs,
        max_attempts: request.maxAttempts,
        priority: request.priority,
        automated: request.automated,
        attempts: attempts.map((a) => ({
          attempt: a.attempt,
          agent_id: a.agentId,
          operation_id: a.operationId,
          outcome: a.outcome,
          reason: a.reason,
          expected_total_ms: a.expectedTotalMs,
          started_at: a.startedAt,
          elapsed_ms: a.elapsedMs,
        })),
        excluded: context.excluded.map((e) => ({ agent_id: e.agentId, code: e.code, detail: e.detail })),
      },
    });
  } catch (error) {
    // The store failing must not lose the result; the log line still has the context.
    deps.logger.error({ err: error, delegation_id: context.delegationId, reason: context.reason, attempts }, 'dead letter could not be written');
    return null;
  }
}
