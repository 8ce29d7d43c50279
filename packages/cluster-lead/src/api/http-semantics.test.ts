import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { apiTestKit, type ApiTestKit } from './api-test-kit.js';
import { createApi, type LeadStatusBody } from './app.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { startApiServer } from './server.js';

const kit: ApiTestKit = await apiTestKit();
const STATUS = { lead_id: 'lead-1', cluster_id: 'cluster-1' } as unknown as LeadStatusBody;

function app() {
  return createApi({ access: kit.access, status: () => STATUS, agent: () => undefined, readiness: () => [{ name: 'nats', ok: true }], logger: silentLogger() });
}

function expectApiHeaders(res: Response, requestId: string): void {
  expect(res.headers.get('x-request-id')).toBe(requestId);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

describe('API HTTP semantics', () => {
  it('answers a wrong method with 405, Allow listing the route methods, as problem+json', async () => {
    const res = await kit.request(app(), 'DELETE', '/v1/status', { headers: { 'x-request-id': 'rid-405' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expectApiHeaders(res, 'rid-405');
    expect(await res.json()).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED', instance: '/v1/status', request_id: 'rid-405' });

    const operations = await kit.request(app(), 'PUT', '/v1/operations');
    expect(operations.status).toBe(405);
    expect(operations.headers.get('allow')).toBe('GET, HEAD, POST');
    const withParam = await kit.request(app(), 'GET', '/v1/agents/pi-1/retire');
    expect(withParam.headers.get('allow')).toBe('POST');
  });

  it('still answers 404 for a path no method serves', async () => {
    const res = await kit.request(app(), 'GET', '/v1/nothing-here', { headers: { 'x-request-id': 'rid-404' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
    expectApiHeaders(res, 'rid-404');
  });

  it('refuses a body that is not JSON with 415 before parsing it', async () => {
    const res = await kit.request(app(), 'PUT', '/v1/mode', { headers: { 'content-type': 'text/plain', 'x-request-id': 'rid-415' } });
    expect(res.status).toBe(415);
    expectApiHeaders(res, 'rid-415');
    expect(await res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', detail: expect.stringContaining('text/plain') });
    const raw = await app().request('/v1/operations', { method: 'POST', body: '{"verb":"noop"}', headers: { 'content-type': 'text/plain; charset=utf-8' } });
    expect(raw.status).toBe(415);
  });

  it('marks successful answers no-store and nosniff with the request id', async () => {
    const res = await kit.request(app(), 'GET', '/v1/status', { headers: { 'x-request-id': 'rid-200' } });
    expect(res.status).toBe(200);
    expectApiHeaders(res, 'rid-200');
  });

  it('answers HEAD like GET over a real socket: same headers, Content-Length, no body', async () => {
    const server = await startApiServer(app(), { host: '127.0.0.1', port: 0 });
    try {
      const get = await fetch(`${server.url}/health/live`, { headers: { 'x-request-id': 'rid-get' } });
      const getBody = await get.text();
      const head = await fetch(`${server.url}/health/live`, { method: 'HEAD', headers: { 'x-request-id': 'rid-head' } });
      expect(head.status).toBe(200);
      expectApiHeaders(head, 'rid-head');
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
      expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(getBody)));
      expect(await head.text()).toBe('');

      const missing = await fetch(`${server.url}/health/nothing`, { method: 'HEAD', headers: { 'x-request-id': 'rid-head-404' } });
      expect(missing.status).toBe(404);
      expectApiHeaders(missing, 'rid-head-404');
      const wrong = await fetch(`${server.url}/health/live`, { method: 'DELETE', headers: { 'x-request-id': 'rid-del' } });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET, HEAD');
      expectApiHeaders(wrong, 'rid-del');
    } finally {
      await server.close();
    }
  });

  it('answers a signed HEAD on an authenticated route with the request id', async () => {
    const res = await kit.request(app(), 'HEAD', '/v1/status', { headers: { 'x-request-id': 'rid-h' } });
    expect(res.status).toBe(200);
    expectApiHeaders(res, 'rid-h');
    expect(Number(res.headers.get('content-length'))).toBe(JSON.stringify(STATUS).length);
  });
});
