import { describe, expect, it } from 'vitest';
import { AGENT_ID, get, readProblem } from './support/lead.js';

describe('GET /v1/health', () => {
  it('answers without auth: agent id, class A, capabilities', async () => {
    const response = await get('/v1/health');
    expect(response.status).toBe(200);
    const body = await response.json<Record<string, unknown>>();
    expect(body).toMatchObject({ status: 'ok', agent_id: AGENT_ID, agent_class: 'A', capabilities: ['route', 'transform', 'cache'] });
    expect(typeof body.now_local).toBe('number');
  });

  it('refuses unknown routes and wrong methods as problem+json with a stable code', async () => {
    const missing = await readProblem(await get('/v1/nope'));
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const wrongMethod = await readProblem(await get('/v1/coordinate'));
    expect(wrongMethod).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
    const postHealth = await readProblem(await get('/v1/health', 'POST'));
    expect(postHealth.code).toBe('METHOD_NOT_ALLOWED');
  });
});
