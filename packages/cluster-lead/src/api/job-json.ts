/** A job as the API shows it (GET /v1/operations/:id and every 202 that starts one). */
import { OperationStatus } from '@mesh30k/shared';
import type { OperationView } from '../control/index.js';
import type { JobEnd, JobState, JobView } from '../jobs/index.js';
import { snakeKeys } from './json-case.js';
import type { JobJson } from './response-schemas.js';

export function jobJson(view: JobView): JobJson {
  const outcome = view.kind === 'scatter_gather' ? OperationStatus.safeParse((view.result as DecidedFigures | null | undefined)?.status) : undefined;
  return {
    operation_id: view.id,
    kind: view.kind,
    state: view.state,
    created_at: view.createdAt,
    updated_at: view.updatedAt,
    ...(view.result === undefined ? {} : { result: view.result }),
    ...(outcome?.success === true ? { outcome: outcome.data } : {}),
    ...(view.error === undefined ? {} : { error: view.error }),
  };
}

const STATE_OF: Readonly<Record<OperationView['state'], JobState>> = { queued: 'QUEUED', running: 'RUNNING', completed: 'SUCCEEDED', refused: 'FAILED' };

/** The figures of a decided operation that say whether it did its work (camel or snake case, as stored). */
interface DecidedFigures {
  readonly status?: unknown;
  readonly counts?: { readonly selected?: unknown; readonly sent?: unknown; readonly ready?: unknown };
}

/**
 * Why a decided operation is not a success, or undefined when it is one. A job whose quorum
 * was not met is FAILED, never SUCCEEDED: an operation that reached nobody, or that nobody
 * could run, did no work. The result stays attached, so the figures are still there.
 */
export function quorumShortfall(result: unknown): { code: string; message: string } | undefined {
  const figures = (result ?? {}) as DecidedFigures;
  if (figures.status === 'SUCCESS') return undefined;
  if (figures.status === 'FAILED_OVER') return { code: 'FAILED_OVER', message: 'its lead died while it ran and the lead that took over could not complete it (see result.interrupted)' };
  const count = (value: unknown): number => (typeof value === 'number' ? value : 0);
  const selected = count(figures.counts?.selected);
  const sent = count(figures.counts?.sent);
  const ready = count(figures.counts?.ready);
  if (sent === 0) return { code: 'REACHED_NOBODY', message: `no agent was sent the operation (${selected} selected, every one skipped; see result.skipped)` };
  if (ready === 0) return { code: 'NOBODY_READY', message: `sent to ${sent} agents, none answered READY (see result.counts and result.responders)` };
  return { code: 'QUORUM_NOT_MET', message: `${ready} of ${sent} agents answered READY, short of the quorum (see result.quorum)` };
}

/**
 * How a job of an operation ended, from the engine's view of it (live or from the history):
 * undefined while it is queued or running. For a job this lead did not start (a failover).
 */
export function historyEnd(view: OperationView): JobEnd | undefined {
  if (view.state === 'queued' || view.state === 'running') return undefined;
  if (view.refusal !== null) return { ok: false, code: view.refusal.code, message: view.refusal.reason };
  const result = view.result === null || view.result === undefined ? undefined : snakeKeys(view.result);
  const shortfall = quorumShortfall(view.result);
  if (shortfall === undefined) return { ok: true, result };
  return { ok: false, ...shortfall, ...(result === undefined ? {} : { result }) };
}

/** An operation the job board no longer (or never, before a restart) knew, from the engine's history. */
export function historyJobJson(view: OperationView): JobJson {
  const at = view.submittedAt ?? 0;
  const shortfall = view.state === 'completed' ? quorumShortfall(view.result) : undefined;
  const error = view.refusal !== null ? { code: view.refusal.code, message: view.refusal.reason } : shortfall;
  return jobJson({
    id: view.operationId,
    kind: 'scatter_gather',
    state: shortfall === undefined ? STATE_OF[view.state] : 'FAILED',
    createdAt: at,
    updatedAt: at,
    ...(view.result === null || view.result === undefined ? {} : { result: snakeKeys(view.result) }),
    ...(error === undefined ? {} : { error }),
  });
}
