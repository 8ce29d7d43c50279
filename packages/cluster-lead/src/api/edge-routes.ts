/**
 * The edge tier's directory (src/edge): POST /v1/edge-agents registers a Worker (or replaces
 * its registration: same id, new URL, key or capabilities), GET lists them, DELETE removes one.
 */
import { Hono } from 'hono';
import type { EdgeProbeState } from '../edge/edge-prober.js';
import { z } from 'zod';
import { PageTokens } from './page-token.js';
import { ApiError, fieldErrors, invalidFields } from './problem.js';
import { PageParams, readQuery } from './query.js';

export interface EdgeAgentJson {
  readonly agent_id: string;
  readonly url: string;
  readonly class: string;
  readonly capabilities: readonly string[];
  readonly cluster_id: string;
  readonly public_key: string;
  /** The lead's probes of this Worker. */
  readonly probe?: EdgeProbeState;
}

export type EdgeRegisterOutcome =
  | { readonly ok: true; readonly agent: { readonly agent_id: string }; readonly replaced: boolean }
  | { readonly ok: false; readonly path: string; readonly message: string };

export interface EdgeAgentsApi {
  register(body: unknown): EdgeRegisterOutcome;
  /** `{ url, enrollment }`: a Worker enrolled by a mesh root (its registration comes from the record). */
  registerEnrolled?(url: string, enrollment: unknown): Promise<EdgeRegisterOutcome | { readonly ok: false; readonly code: string; readonly message: string; readonly path?: undefined }>;
  remove(agentId: string): boolean;
  snapshot(): EdgeAgentJson[];
}

export const ListQuery = z.strictObject({ ...PageParams });
export const EnrolledWorker = z.strictObject({ url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }), enrollment: z.looseObject({ bytes: z.string().min(1).max(65_536) }) });

export function edgeRoutes(edge: EdgeAgentsApi, tokens: PageTokens = new PageTokens()): Hono {
  const app = new Hono();
  const one = (id: string): EdgeAgentJson | undefined => edge.snapshot().find((a) => a.agent_id === id);
  app.post('/', async (c) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new ApiError(400, 'BAD_REQUEST', 'Invalid JSON', 'the body is not JSON');
    }
    const enrolled = typeof raw === 'object' && raw !== null && 'enrollment' in raw;
    if (enrolled && edge.registerEnrolled === undefined) throw new ApiError(404, 'NOT_FOUND', 'Not supported', 'this lead cannot register Workers by enrollment');
    let outcome;
    if (enrolled) {
      const body = EnrolledWorker.safeParse(raw);
      if (!body.success) throw invalidFields('Invalid edge agent', fieldErrors(body.error.issues));
      outcome = await edge.registerEnrolled!(body.data.url, body.data.enrollment);
      if (!outcome.ok && outcome.path === undefined) {
        throw new ApiError(422, 'ENROLLMENT_REFUSED', 'Enrollment refused', `${outcome.code}: ${outcome.message}; enroll the Worker's key with mesh-lead enroll (class A)`, { fields: { reason_code: outcome.code } });
      }
    } else {
      outcome = edge.register(raw);
    }
    if (!outcome.ok) throw new ApiError(400, 'BAD_REQUEST', 'Invalid edge agent', outcome.message, { fields: { field: outcome.path, errors: [{ field: outcome.path, message: outcome.message }] } });
    const id = outcome.agent.agent_id;
    const location = `/v1/edge-agents/${encodeURIComponent(id)}`;
    c.header('Location', location);
    return c.json({ ...one(id), replaced: outcome.replaced, location }, outcome.replaced ? 200 : 201);
  });
  // Ordered by agent id; the cursor is the last id shown, so registrations in between do not shift pages.
  app.get('/', (c) => {
    const { page_size, page_token } = readQuery(c, ListQuery);
    const after = page_token === undefined ? undefined : tokens.read('edge-agents', {}, page_token);
    const all = edge.snapshot().sort((a, b) => (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0));
    const rest = after === undefined ? all : all.filter((a) => a.agent_id > after);
    const page = rest.slice(0, page_size);
    const last = page.at(-1);
    return c.json({ edge_agents: page, ...(rest.length > page_size && last !== undefined ? { next_page_token: tokens.issue('edge-agents', {}, last.agent_id) } : {}) });
  });
  app.get('/:id', (c) => {
    const id = c.req.param('id');
    const agent = one(id);
    if (agent === undefined) throw new ApiError(404, 'NOT_FOUND', 'Unknown edge agent', `no edge agent "${id}" registered on this lead`);
    return c.json(agent);
  });
  app.delete('/:id', (c) => {
    const id = c.req.param('id');
    if (!edge.remove(id)) throw new ApiError(404, 'NOT_FOUND', 'Unknown edge agent', `no edge agent "${id}" registered on this lead`);
    return c.body(null, 204);
  });
  return app;
}
