import { SIGNATURE_HEADER, SIGNER_HEADER } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { AGENT_ID, get, ping, post, readProblem, sign } from './support/lead.js';

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

  it('lists the allowed method in Allow on a 405, and echoes the request id on every answer', async () => {
    const wrong = await get('/v1/coordinate', 'GET', { 'x-request-id': 'rid-405' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(wrong.headers.get('x-request-id')).toBe('rid-405');
    expect(await wrong.json()).toMatchObject({ request_id: 'rid-405' });
    expect((await get('/v1/health', 'DELETE')).headers.get('allow')).toBe('GET, HEAD');
    for (const [path, method] of [['/v1/health', 'GET'], ['/v1/nope', 'GET'], ['/v1/health', 'HEAD']] as const) {
      const res = await get(path, method, { 'x-request-id': `rid-${method}` });
      expect(res.headers.get('x-request-id')).toBe(`rid-${method}`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('answers HEAD like GET with a Content-Length and no body', async () => {
    const head = await get('/v1/health', 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await head.text()).toBe('');
  });

  it('refuses a body that is not JSON with 415 before reading it', async () => {
    const frame = await sign(ping());
    const res = await post('/v1/ping', frame, { 'content-type': 'text/plain', [SIGNER_HEADER]: frame.signerId, [SIGNATURE_HEADER]: frame.signature });
    expect(await readProblem(res)).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});
