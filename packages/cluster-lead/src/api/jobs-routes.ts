/**
 * Operations as long-running jobs: POST /v1/operations (kind scatter_gather, broadcast or ask)
 * answers 202 with the job and its Location; GET /v1/operations lists jobs (newest first,
 * paginated), GET /v1/operations/:id shows one, POST /v1/operations/:id/cancel cancels one.
 */
import { randomBytes } from 'node:crypto';
import type { Ack } from '@mesh30k/shared';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { SubmitOutcome } from '../control/index.js';
import { JOB_STATES, type JobBoard, type JobEnd, type JobKind, type JobView } from '../jobs/index.js';
import type { OperationOutcome } from '../scatter/index.js';
import { historyJobJson, jobJson, quorumShortfall } from './job-json.js';
import { snakeKeys } from './json-case.js';
import { OperationBody, refusalError, toEngineRequest, type OperationsApi } from './operations-routes.js';
import type { PageTokens } from './page-token.js';
import { ApiError } from './problem.js';
import { PageParams, readQuery } from './query.js';
import { readJsonBody } from './read-body.js';
import type { Answer, JobAcceptedSchema } from './response-schemas.js';
import { refuseInvalidVerbPayload } from './verb-payload.js';

/** Verified ACKs of an operation, kept while an ask gathers (delegation's AckTap). */
export interface AckSource {
  watch(operationId: string): void;
  drain(operationId: string): Ack[];
  release(operationId: string): void;
}

export interface JobsDeps {
  readonly board: JobBoard;
  readonly tokens: PageTokens;
  readonly operations?: OperationsApi;
  readonly acks?: AckSource;
  /** Up to `n` routable agents (best impedance first), having `capability` when given. */
  readonly sample?: (n: number, capability: string | undefined) => string[];
}

export const ASK_SAMPLE_DEFAULT = 100;

export const ScatterJobBody = OperationBody.extend({ kind: z.literal('scatter_gather').optional() });
export const BroadcastJobBody = OperationBody.omit({ release_mode: true, min_response_rate: true }).extend({ kind: z.literal('broadcast'), selector: z.unknown().optional() });
export const AskJobBody = z.strictObject({
  kind: z.literal('ask'),
  operation_id: z.string().min(1).max(64).optional(),
  question: z.string().min(1).max(1_024),
  sample_size: z.number().int().min(1).max(1_000).default(ASK_SAMPLE_DEFAULT),
  capability: z.string().min(1).max(64).optional(),
  timeout_ms: z.number().int().min(1).max(600_000).optional(),
  priority: z.number().int().min(0).max(5).optional(),
});
const KindOnly = z.looseObject({ kind: z.enum(['scatter_gather', 'broadcast', 'ask']).optional() });

export const ListQuery = z.strictObject({ state: z.enum(JOB_STATES as [string, ...string[]]).optional(), ...PageParams });

export function newOperationId(): string {
  return `op-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;
}

/**
 * The engine's outcome as a job's end: SUCCEEDED only when the quorum was met; a decided
 * operation short of it is FAILED with its result attached (quorumShortfall), refused is FAILED.
 */
export function scatterEnd(outcome: OperationOutcome, extra: Record<string, unknown> = {}): JobEnd {
  if (outcome.status === 'refused') return { ok: false, code: outcome.refusal.code, message: outcome.refusal.reason };
  const result = { ...(snakeKeys(outcome.result) as Record<string, unknown>), ...extra };
  const shortfall = quorumShortfall(outcome.result);
  return shortfall === undefined ? { ok: true, result } : { ok: false, ...shortfall, result };
}

/** Answers grouped as the console shows them: the same answer once, with who gave it; conflicts apart. */
export function groupAnswers(acks: readonly Ack[]): { answer: unknown; agents: string[]; count: number }[] {
  const groups = new Map<string, { answer: unknown; agents: string[]; count: number }>();
  for (const ack of acks) {
    const answer = ack.conflict !== undefined ? 'CONFLICT' : ack.refusal !== undefined ? `REFUSED: ${ack.refusal.code}` : (ack.result ?? null);
    const key = JSON.stringify(answer);
    const group = groups.get(key) ?? { answer, agents: [], count: 0 };
    group.agents.push(ack.agent_id);
    group.count++;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.agents[0]!.localeCompare(b.agents[0]!));
}

/**
 * How long a job's 202 waits for the job to be on the operations stream (JetStream store) before
 * answering regardless: the job runs here either way, and a failed copy is logged and counted.
 */
export const JOB_COPY_WAIT_MS = 2_000;

/** The 202 that starts a job, sent once the job is copied where a standby lead reads it. */
export async function jobAccepted(c: Context, board: JobBoard, view: JobView): Promise<Response> {
  await board.copied(view.id, JOB_COPY_WAIT_MS);
  const location = `/v1/operations/${encodeURIComponent(view.id)}`;
  c.header('Location', location);
  return c.json({ ...jobJson(view), location } satisfies Answer<typeof JobAcceptedSchema>, 202);
}

export function jobRoutes(deps: JobsDeps): Hono {
  const app = new Hono();
  const { board } = deps;

  const startScatter = (kind: JobKind, submitted: SubmitOutcome & { ok: true }, extra?: () => Record<string, unknown>): JobView =>
    board.start({
      id: submitted.operationId,
      kind,
      state: submitted.state === 'running' ? 'RUNNING' : 'QUEUED',
      done: submitted.outcome.then((outcome) => scatterEnd(outcome, outcome.status === 'completed' ? extra?.() : undefined)),
      started: () => deps.operations?.get(submitted.operationId)?.state !== 'queued',
    });

  app.post('/', async (c) => {
    const operations = deps.operations;
    if (operations === undefined) throw new ApiError(404, 'NOT_FOUND', 'Not available', 'operations are not available on this lead');
    const { kind = 'scatter_gather' } = await readJsonBody(c, KindOnly, 'operation');
    if (kind === 'ask') {
      const body = await readJsonBody(c, AskJobBody, 'ask');
      const acks = deps.acks;
      const sample = deps.sample;
      if (acks === undefined || sample === undefined) throw new ApiError(404, 'NOT_FOUND', 'Not available', 'ask is not available on this lead');
      const agents = sample(body.sample_size, body.capability);
      if (agents.length === 0) {
        throw new ApiError(409, 'OPERATION_REFUSED', 'Nobody to ask', `no routable agent${body.capability === undefined ? '' : ` with capability "${body.capability}"`} to ask`);
      }
      const operationId = body.operation_id ?? newOperationId();
      acks.watch(operationId);
      const submitted = await operations.submit({
        operationId,
        verb: 'observe',
        payload: { question: body.question },
        targets: { agent_ids: agents },
        releaseMode: 'none',
        minResponseRate: 0,
        ...(body.timeout_ms === undefined ? {} : { timeoutMs: body.timeout_ms }),
        ...(body.priority === undefined ? {} : { priority: body.priority }),
      });
      if (!submitted.ok) {
        acks.release(operationId);
        throw refusalError(submitted.refusal);
      }
      // A refusal after queueing never reaches the drain below: stop watching then.
      void submitted.outcome.then((outcome) => {
        if (outcome.status === 'refused') acks.release(operationId);
      });
      return jobAccepted(c, board, startScatter('ask', submitted, () => ({ answers: groupAnswers(acks.drain(operationId)) })));
    }
    if (kind === 'broadcast') {
      const body = await readJsonBody(c, BroadcastJobBody, 'broadcast');
      refuseInvalidVerbPayload('broadcast', body.verb, body.payload);
      const request = { ...toEngineRequest({ ...body, selector: body.selector ?? { all: true } }), releaseMode: 'none', minResponseRate: 0 };
      const submitted = await operations.submit(request);
      if (!submitted.ok) throw refusalError(submitted.refusal);
      return jobAccepted(c, board, startScatter('broadcast', submitted));
    }
    const { kind: _kind, ...body } = await readJsonBody(c, ScatterJobBody, 'operation');
    refuseInvalidVerbPayload('operation', body.verb, body.payload);
    const submitted = await operations.submit(toEngineRequest(body));
    if (!submitted.ok) throw refusalError(submitted.refusal);
    return jobAccepted(c, board, startScatter('scatter_gather', submitted));
  });

  app.get('/', (c) => {
    const { page_size, page_token, state } = readQuery(c, ListQuery);
    const filters = { state };
    const before = page_token === undefined ? undefined : Number(deps.tokens.read('operations', filters, page_token));
    const page = board.list({ state: state as JobView['state'] | undefined, before, limit: page_size });
    return c.json({
      operations: page.jobs.map(jobJson),
      ...(page.more && page.lastSeq !== undefined ? { next_page_token: deps.tokens.issue('operations', filters, String(page.lastSeq)) } : {}),
    });
  });

  app.get('/:id', (c) => {
    const id = c.req.param('id');
    const view = board.get(id);
    const old = deps.operations?.get(id);
    if (view !== undefined && !(lacksResult(view) && (old?.state === 'completed' || old?.state === 'refused'))) return c.json(jobJson(view));
    if (old !== undefined) return c.json({ ...historyJobJson(old), ...(view === undefined ? {} : { created_at: view.createdAt, updated_at: view.updatedAt }) });
    throw new ApiError(404, 'NOT_FOUND', 'Unknown operation', `no operation "${id}" on this lead`);
  });

  app.post('/:id/cancel', (c) => {
    const id = c.req.param('id');
    const view = board.cancel(id);
    if (view !== undefined) return c.json(jobJson(view));
    const old = deps.operations?.get(id);
    if (old !== undefined) return c.json(historyJobJson(old));
    throw new ApiError(404, 'NOT_FOUND', 'Unknown operation', `no operation "${id}" on this lead`);
  });
  return app;
}

/**
 * A decided scatter job that came without its result: a standby's copy of a job whose result was
 * too large to replicate. The operations history has the whole result, so that answers instead.
 */
function lacksResult(view: JobView): boolean {
  const decided = view.state === 'SUCCEEDED' || view.state === 'FAILED';
  return view.kind === 'scatter_gather' && decided && (view.result as { status?: unknown } | undefined)?.status === undefined;
}
