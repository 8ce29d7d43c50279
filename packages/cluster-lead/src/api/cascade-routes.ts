/**
 * POST /v1/cascades (start a cascade over this lead's subtree: 202 with the id and Location)
 * and GET /v1/cascades/:id (state, and the result once decided). Bodies are snake_case and map
 * one to one onto the cascade's CascadeRequest, which validates the values.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from './problem.js';
import { readJsonBody } from './read-body.js';
import { refuseInvalidVerbPayload } from './verb-payload.js';
import { snakeKeys } from './json-case.js';
import type { JobEnd, JobState } from '../jobs/index.js';
import type { Answer, CascadeAcceptedSchema, CascadeJson } from './response-schemas.js';

export const CascadeBody = z.strictObject({
  cascade_id: z.string().optional(),
  strategy: z.string().optional(),
  verb: z.unknown(),
  payload: z.unknown().optional(),
  payload_weight: z.number().optional(),
  selector: z.unknown().optional(),
  release_mode: z.string().optional(),
  window_ms: z.number().optional(),
  priority: z.number().optional(),
  requires_capabilities: z.array(z.string()).optional(),
  target_time: z.number().optional(),
  gather_ms: z.number().optional(),
});

/** Engine field to body field: names the body field in the engine's refusals, and in the OpenAPI document. */
export const FIELD_OF: Readonly<Record<string, string>> = {
  cascadeId: 'cascade_id',
  payloadWeight: 'payload_weight',
  targets: 'selector',
  releaseMode: 'release_mode',
  arrivalWindowMs: 'window_ms',
  requiresCapabilities: 'requires_capabilities',
  targetTime: 'target_time',
  gatherMs: 'gather_ms',
};

export function toCascadeRequest(body: z.infer<typeof CascadeBody>): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    cascadeId: body.cascade_id,
    strategy: body.strategy,
    verb: body.verb,
    payload: body.payload ?? null,
    payloadWeight: body.payload_weight,
    targets: body.selector,
    releaseMode: body.release_mode,
    arrivalWindowMs: body.window_ms,
    priority: body.priority,
    requiresCapabilities: body.requires_capabilities,
    targetTime: body.target_time,
    gatherMs: body.gather_ms,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

export interface CascadeViewJson {
  readonly cascadeId: string;
  readonly state: 'running' | 'completed' | 'failed';
  readonly startedAt: number;
  readonly result: unknown;
  readonly error: string | null;
}

export type CascadeSubmitOutcome =
  | { readonly ok: true; readonly view: CascadeViewJson; readonly created: boolean }
  | { readonly ok: false; readonly code: 'INVALID_CASCADE'; readonly path: string; readonly message: string }
  | { readonly ok: false; readonly code: 'NOT_CONNECTED'; readonly message: string };

export interface CascadesApi {
  submit(request: unknown): CascadeSubmitOutcome;
  get(cascadeId: string): CascadeViewJson | undefined;
}

export function cascadeJson(view: CascadeViewJson): CascadeJson {
  return { cascade_id: view.cascadeId, state: view.state, started_at: view.startedAt, error: view.error, result: snakeKeys(view.result) };
}

/** The figures of a decided cascade (CascadeResult) that say whether it did its work. */
interface DecidedCascade {
  readonly status?: unknown;
  readonly degraded?: readonly unknown[];
  readonly counts?: { readonly sent?: unknown };
}

/**
 * A cascade's end as its job shows it; undefined while it runs. As for a scatter job, SUCCEEDED
 * only when it did its work: every phase met its thresholds (status SUCCESS; priority_first:
 * COMPLETE with no degraded phase) and someone was sent to. A decided cascade short of that is
 * FAILED with `CASCADE_INCOMPLETE` (its result attached); one that threw, `CASCADE_FAILED`.
 */
export function cascadeJobEnd(view: CascadeViewJson): JobEnd | undefined {
  if (view.state === 'running') return undefined;
  const result = cascadeJson(view).result;
  if (view.state === 'failed') return { ok: false, code: 'CASCADE_FAILED', message: view.error ?? 'the cascade failed', result };
  const figures = (view.result ?? {}) as DecidedCascade;
  const degraded = (figures.degraded ?? []).map(String);
  const sent = typeof figures.counts?.sent === 'number' ? figures.counts.sent : 0;
  const met = (figures.status === 'SUCCESS' || figures.status === 'COMPLETE') && degraded.length === 0;
  if (met && sent > 0) return { ok: true, result };
  const why = degraded.length > 0 ? degraded.join('; ') : sent === 0 ? 'nobody was sent to' : 'below its thresholds';
  return { ok: false, code: 'CASCADE_INCOMPLETE', message: `the cascade ended ${String(figures.status)}: ${why} (see result.phases)`, result };
}

const fieldName = (path: string): string =>
  path
    .split('.')
    .map((p) => FIELD_OF[p] ?? p)
    .join('.');

/** A cascade as a job at /v1/operations/<id>; returns the Location to answer. */
/** A cascade's state as its job (/v1/operations/<id>) shows it: the 202 answers the Job state. */
const JOB_STATE_OF: Readonly<Record<CascadeViewJson['state'], JobState>> = { running: 'RUNNING', completed: 'SUCCEEDED', failed: 'FAILED' };

/** Starts the cascade's job; resolves with the job's location once it is copied (JobBoard.copied). */
export type CascadeJobHook = (cascadeId: string, created: boolean) => Promise<string>;

export function cascadeRoutes(cascades: CascadesApi, asJob?: CascadeJobHook): Hono {
  const app = new Hono();
  app.post('/', async (c) => {
    const body = await readJsonBody(c, CascadeBody, 'cascade');
    refuseInvalidVerbPayload('cascade', body.verb, body.payload);
    const outcome = cascades.submit(toCascadeRequest(body));
    if (!outcome.ok) {
      if (outcome.code === 'NOT_CONNECTED') throw new ApiError(503, 'UNAVAILABLE', 'Cascades unavailable', outcome.message, { headers: { 'Retry-After': '2' } });
      const field = fieldName(outcome.path);
      const message = outcome.message.replace(/^[\w.]+/, fieldName);
      throw new ApiError(400, 'BAD_REQUEST', 'Invalid cascade', message, { fields: { field, errors: [{ field, message }] } });
    }
    const id = outcome.view.cascadeId;
    const location = `/v1/cascades/${encodeURIComponent(id)}`;
    // The job (same id) is where clients follow it; the cascade resource stays readable too.
    const jobLocation = await asJob?.(id, outcome.created);
    c.header('Location', jobLocation ?? location);
    return c.json({ cascade_id: id, operation_id: id, kind: 'cascade', state: JOB_STATE_OF[outcome.view.state], created: outcome.created, location: jobLocation ?? location, cascade_location: location } satisfies Answer<typeof CascadeAcceptedSchema>, 202);
  });
  app.get('/:id', (c) => {
    const id = c.req.param('id');
    const view = cascades.get(id);
    if (view === undefined) throw new ApiError(404, 'NOT_FOUND', 'Unknown cascade', `no cascade "${id}" on this lead`);
    return c.json(cascadeJson(view));
  });
  return app;
}
