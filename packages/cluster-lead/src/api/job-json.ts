/** A job as the API shows it (GET /v1/operations/:id and every 202 that starts one). */
import type { OperationView } from '../control/index.js';
import type { JobState, JobView } from '../jobs/index.js';
import { snakeKeys } from './json-case.js';

export function jobJson(view: JobView): Record<string, unknown> {
  return {
    operation_id: view.id,
    kind: view.kind,
    state: view.state,
    created_at: view.createdAt,
    updated_at: view.updatedAt,
    ...(view.result === undefined ? {} : { result: view.result }),
    ...(view.error === undefined ? {} : { error: view.error }),
  };
}

const STATE_OF: Readonly<Record<OperationView['state'], JobState>> = { queued: 'QUEUED', running: 'RUNNING', completed: 'SUCCEEDED', refused: 'FAILED' };

/** An operation the job board no longer (or never, before a restart) knew, from the engine's history. */
export function historyJobJson(view: OperationView): Record<string, unknown> {
  const at = view.submittedAt ?? 0;
  return jobJson({
    id: view.operationId,
    kind: 'scatter_gather',
    state: STATE_OF[view.state],
    createdAt: at,
    updatedAt: at,
    ...(view.result === null || view.result === undefined ? {} : { result: snakeKeys(view.result) }),
    ...(view.refusal === null ? {} : { error: { code: view.refusal.code, message: view.refusal.reason } }),
  });
}
