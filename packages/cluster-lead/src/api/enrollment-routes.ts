/** POST /v1/enrollments (a signed enrollment, verified against the mesh roots) and DELETE /v1/enrollments/:agent_id. */
import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from './problem.js';
import { readJsonBody } from './read-body.js';

export interface EnrollmentsApi {
  enroll(signed: unknown): Promise<{ ok: true; agentId: string; expiresAt: number } | { ok: false; code: string; message: string }>;
  revoke(agentId: string): boolean;
}

/** The signed-record envelope `mesh-lead enroll` writes; the trust code checks everything inside. */
const SignedEnrollment = z.looseObject({ bytes: z.string().min(1).max(65_536) });

export function enrollmentRoutes(enrollments: EnrollmentsApi): Hono {
  const app = new Hono();
  app.post('/', async (c) => {
    const signed = await readJsonBody(c, SignedEnrollment, 'enrollment');
    const outcome = await enrollments.enroll(signed);
    if (!outcome.ok) {
      throw new ApiError(422, 'ENROLLMENT_REFUSED', 'Enrollment refused', `${outcome.code}: ${outcome.message}; sign the request with a mesh root key (mesh-lead enroll)`, { fields: { reason_code: outcome.code } });
    }
    c.header('Location', `/v1/agents/${encodeURIComponent(outcome.agentId)}`);
    return c.json({ agent_id: outcome.agentId, expires_at: outcome.expiresAt }, 201);
  });
  app.delete('/:agent_id', (c) => {
    const id = c.req.param('agent_id');
    if (!enrollments.revoke(id)) throw new ApiError(404, 'NOT_FOUND', 'Unknown enrollment', `no enrollment for "${id}" on this lead`);
    return c.body(null, 204);
  });
  return app;
}
