/**
 * The HTTP side of delegation, ready to mount: POST /v1/delegations starts one (202 with its id
 * and Location: a delegation can take timeout x attempts, far longer than a request should
 * wait), GET /v1/delegations/:id gives its state and, once it ended, its result. Bodies are
 * snake_case like the rest of the API; the delegator's request is camelCase.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { AgentClass, Id, Verb } from '@mesh30k/shared';
import { ApiError } from '../api/problem.js';
import { readJsonBody } from '../api/read-body.js';
import { refuseInvalidVerbPayload } from '../api/verb-payload.js';
import { snakeKeys } from '../api/json-case.js';
import type { Answer, DelegationAcceptedSchema } from '../api/response-schemas.js';
import type { DelegationResult, Delegator } from './delegator.js';

/**
 * The nested parts (task, to) carry the delegator's own value schemas: the OpenAPI document can
 * only show a nested engine schema through the body's (the property test holds them equal).
 */
export const DelegationBody = z.strictObject({
  delegation_id: z.string().optional(),
  task: z.strictObject({ verb: Verb, payload: z.unknown().optional(), payload_weight: z.number().min(0).max(10).optional() }),
  /** "best_available", or one of {"capability": ...}, {"agent_class": ...}, {"agent_id": ...}. */
  to: z
    .union([z.literal('best_available'), z.strictObject({ capability: z.string().min(1).max(64) }), z.strictObject({ agent_class: AgentClass }), z.strictObject({ agent_id: Id })])
    .optional(),
  timeout_ms: z.number().optional(),
  max_attempts: z.number().optional(),
  priority: z.number().optional(),
  automated: z.boolean().optional(),
});
export type DelegationBodyInput = z.infer<typeof DelegationBody>;

export function toDelegationRequest(body: DelegationBodyInput): Record<string, unknown> {
  const to = body.to;
  const target =
    to === undefined || to === 'best_available'
      ? to
      : 'capability' in to
        ? { capability: to.capability }
        : 'agent_class' in to
          ? { agentClass: to.agent_class }
          : { agentId: to.agent_id };
  const fields: Record<string, unknown> = {
    delegationId: body.delegation_id,
    task: { verb: body.task.verb, payload: body.task.payload ?? null, ...(body.task.payload_weight === undefined ? {} : { payloadWeight: body.task.payload_weight }) },
    to: target,
    timeoutMs: body.timeout_ms,
    maxAttempts: body.max_attempts,
    priority: body.priority,
    automated: body.automated,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

export function delegationResultJson(result: DelegationResult): unknown {
  // The task's result payload is the agent's, passed through as it came.
  const { result: payload, ...rest } = result;
  return { ...(snakeKeys(rest) as Record<string, unknown>), ...('result' in result ? { result: payload } : {}) };
}

const FIELD_OF: Readonly<Record<string, string>> = {
  delegationId: 'delegation_id',
  payloadWeight: 'payload_weight',
  agentClass: 'agent_class',
  agentId: 'agent_id',
  timeoutMs: 'timeout_ms',
  maxAttempts: 'max_attempts',
};

const snakePath = (path: string): string => path.split('.').map((p) => FIELD_OF[p] ?? p).join('.');

/** Default number of ended delegations kept for GET. */
export const DEFAULT_RECENT_DELEGATIONS = 256;

interface Tracked {
  state: 'running' | 'completed';
  readonly startedAt: number;
  result: DelegationResult | null;
}

/** Running and recently ended delegations, by id, for the GET route. */
export class DelegationDesk {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly delegator: Delegator,
    private readonly now: () => number,
    private readonly keep = DEFAULT_RECENT_DELEGATIONS,
  ) {}

  start(raw: unknown): ReturnType<Delegator['start']> {
    const started = this.delegator.start(raw);
    if (!started.ok) return started;
    const tracked: Tracked = { state: 'running', startedAt: this.now(), result: null };
    this.tracked.set(started.delegationId, tracked);
    void started.done.then((result) => {
      tracked.state = 'completed';
      tracked.result = result;
      this.trim();
    });
    return started;
  }

  get(delegationId: string): { delegation_id: string; state: Tracked['state']; started_at: number; result: unknown } | undefined {
    const tracked = this.tracked.get(delegationId);
    if (tracked === undefined) return undefined;
    return { delegation_id: delegationId, state: tracked.state, started_at: tracked.startedAt, result: tracked.result === null ? null : delegationResultJson(tracked.result) };
  }

  private trim(): void {
    let completed = 0;
    for (const t of this.tracked.values()) if (t.state === 'completed') completed++;
    for (const [id, t] of this.tracked) {
      if (completed <= this.keep) return;
      if (t.state === 'completed') {
        this.tracked.delete(id);
        completed--;
      }
    }
  }
}

/** A delegation as a job at /v1/operations/<id> (the API's job board); the Location to answer. */
/** Starts the delegation's job; resolves with the job's location once it is copied (JobBoard.copied). */
export type DelegationJobHook = (delegationId: string, done: Promise<DelegationResult>) => Promise<string>;

/** Mount with app.route('/v1/delegations', delegationRoutes(desk, asJob)). */
export function delegationRoutes(desk: DelegationDesk, asJob?: DelegationJobHook): Hono {
  const app = new Hono();
  app.post('/', async (c) => {
    const body = await readJsonBody(c, DelegationBody, 'delegation');
    refuseInvalidVerbPayload('delegation', body.task.verb, body.task.payload, 'task.');
    const started = desk.start(toDelegationRequest(body));
    if (!started.ok) {
      const field = snakePath(started.error.path);
      const message = started.error.reason.replace(/^[\w.]+/, snakePath);
      throw new ApiError(400, 'BAD_REQUEST', 'Invalid delegation', message, { fields: { field, errors: [{ field, message }] } });
    }
    const location = `/v1/delegations/${encodeURIComponent(started.delegationId)}`;
    // The job (same id) is where clients follow it; the delegation resource stays readable too.
    const jobLocation = await asJob?.(started.delegationId, started.done);
    c.header('Location', jobLocation ?? location);
    return c.json({ delegation_id: started.delegationId, operation_id: started.delegationId, kind: 'delegation', state: 'RUNNING', location: jobLocation ?? location, delegation_location: location } satisfies Answer<typeof DelegationAcceptedSchema>, 202);
  });
  app.get('/:id', (c) => {
    const id = c.req.param('id');
    const view = desk.get(id);
    if (view === undefined) throw new ApiError(404, 'NOT_FOUND', 'Unknown delegation', `no delegation "${id}" on this lead`);
    return c.json(view);
  });
  return app;
}
