/**
 * Enrollments: POST /v1/enrollments (a signed enrollment, verified against the mesh roots),
 * DELETE /v1/enrollments/:agent_id, and the requests agents sent over NATS ("permit join"):
 * GET /v1/enrollments?state=pending, POST /v1/enrollments/:agent_id/accept and /reject.
 */
import { AgentClass, Capabilities, Id } from '@mesh30k/shared';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { ApiError, fieldErrors, invalidFields } from './problem.js';
import { readQuery } from './query.js';
import { readJsonBody } from './read-body.js';
import type { Answer, EnrolledSchema } from './response-schemas.js';

export type EnrollOutcomeJson = { ok: true; agentId: string; expiresAt: number } | { ok: false; code: string; message: string };

/** A request an agent sent, as the API shows it; `request` is the agent's signed request. */
export interface PendingEnrollmentJson {
  readonly agent_id: string;
  readonly state: 'pending' | 'rejected';
  readonly public_key: string;
  readonly class: string;
  readonly capabilities: readonly string[];
  readonly cluster_id: string;
  readonly sector_id?: string;
  readonly first_seen_at: number;
  readonly last_seen_at: number;
  readonly requests: number;
  readonly decided_at?: number;
  readonly reason?: string;
  readonly request: unknown;
}

/** What the operator may change when accepting (validated here). */
export interface AcceptTerms {
  expiresDays?: number;
  agentClass?: z.infer<typeof AgentClass>;
  capabilities?: string[];
  clusterId?: string;
  sectorId?: string;
}

export interface EnrollmentsApi {
  enroll(signed: unknown, by: string | undefined): Promise<EnrollOutcomeJson>;
  revoke(agentId: string): boolean;
  /** Requests from agents (absent: the routes below answer 404). */
  requests?: {
    list(state: 'pending' | 'rejected' | undefined): PendingEnrollmentJson[];
    /** Whether accept signs on the lead (it holds the root key). */
    leadSigns(): boolean;
    accept(agentId: string, terms: AcceptTerms, by: string | undefined): Promise<EnrollOutcomeJson>;
    reject(agentId: string, reason: string, by: string | undefined): PendingEnrollmentJson | undefined;
  };
}

/** The signed-record envelope `mesh-lead enroll` writes; the trust code checks everything inside. */
export const SignedEnrollment = z.looseObject({ bytes: z.string().min(1).max(65_536) });
export const ListQuery = z.strictObject({ state: z.enum(['pending', 'rejected', 'all']).default('pending') });
export const AcceptBody = z.strictObject({
  expires_days: z.number().gt(0).max(3650).optional(),
  class: AgentClass.optional(),
  capabilities: Capabilities.optional(),
  cluster_id: Id.optional(),
  sector_id: Id.optional(),
});
export const RejectBody = z.strictObject({ reason: z.string().min(1).max(256).optional() });

export function enrollmentRoutes(enrollments: EnrollmentsApi): Hono {
  const app = new Hono();
  const by = (c: Context): string | undefined => c.get('caller')?.operatorId;
  const created = (c: Context, outcome: EnrollOutcomeJson) => {
    if (!outcome.ok) {
      throw new ApiError(422, 'ENROLLMENT_REFUSED', 'Enrollment refused', `${outcome.code}: ${outcome.message}; sign the request with a mesh root key (mesh-lead enroll)`, { fields: { reason_code: outcome.code } });
    }
    c.header('Location', `/v1/agents/${encodeURIComponent(outcome.agentId)}`);
    return c.json({ agent_id: outcome.agentId, expires_at: outcome.expiresAt } satisfies Answer<typeof EnrolledSchema>, 201);
  };
  app.post('/', async (c) => created(c, await enrollments.enroll(await readJsonBody(c, SignedEnrollment, 'enrollment'), by(c))));
  app.delete('/:agent_id', (c) => {
    const id = c.req.param('agent_id');
    if (!enrollments.revoke(id)) throw new ApiError(404, 'NOT_FOUND', 'Unknown enrollment', `no enrollment for "${id}" on this lead`);
    return c.body(null, 204);
  });

  const requests = enrollments.requests;
  if (requests === undefined) return app;
  app.get('/', (c) => {
    const { state } = readQuery(c, ListQuery);
    return c.json({ enrollments: requests.list(state === 'all' ? undefined : state), lead_signs: requests.leadSigns() });
  });
  app.post('/:agent_id/accept', async (c) => {
    const id = c.req.param('agent_id');
    const body = await optionalBody(c, AcceptBody, 'acceptance');
    const terms: AcceptTerms = {
      ...(body.expires_days === undefined ? {} : { expiresDays: body.expires_days }),
      ...(body.class === undefined ? {} : { agentClass: body.class }),
      ...(body.capabilities === undefined ? {} : { capabilities: body.capabilities }),
      ...(body.cluster_id === undefined ? {} : { clusterId: body.cluster_id }),
      ...(body.sector_id === undefined ? {} : { sectorId: body.sector_id }),
    };
    const outcome = await requests.accept(id, terms, by(c));
    if (!outcome.ok && outcome.code === 'NOT_PENDING') throw new ApiError(404, 'NOT_FOUND', 'No enrollment request', `${outcome.message}; mesh enrollments lists them`);
    if (!outcome.ok && outcome.code === 'ROOT_KEY_ABSENT') throw new ApiError(409, 'ROOT_KEY_ABSENT', 'The lead cannot sign', outcome.message);
    return created(c, outcome);
  });
  app.post('/:agent_id/reject', async (c) => {
    const id = c.req.param('agent_id');
    const body = await optionalBody(c, RejectBody, 'rejection');
    const entry = requests.reject(id, body.reason ?? 'rejected by an operator', by(c));
    if (entry === undefined) throw new ApiError(404, 'NOT_FOUND', 'No enrollment request', `no enrollment request from "${id}" on this lead; mesh enrollments lists them`);
    return c.json(entry);
  });
  return app;
}

/** A JSON body that may be empty (then `{}`); anything else must match the schema. */
async function optionalBody<S extends z.ZodType>(c: Context, schema: S, what: string): Promise<z.infer<S>> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'BAD_REQUEST', 'Invalid JSON', 'the body is not JSON');
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidFields(`Invalid ${what}`, fieldErrors(parsed.error.issues));
  return parsed.data;
}
