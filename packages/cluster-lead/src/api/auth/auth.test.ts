import { issueApiToken, signApiRequest } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { LimitCounters } from '../../lib/limit-counters.js';
import { silentLogger } from '../../lib/logger.js';
import { apiTestKit, KIT_NOW } from '../api-test-kit.js';
import { createApi, type ApiAccess } from '../app.js';
import { PROBLEM_CONTENT_TYPE } from '../problem.js';
import { operatorDirectory } from './operator-directory.js';

const kit = await apiTestKit();
const encoder = new TextEncoder();

function app(access: ApiAccess = kit.access): Hono {
  const api = createApi({ access, status: () => ({}) as never, agent: () => undefined, readiness: () => [{ name: 'nats', ok: true }], logger: silentLogger() });
  // A write route that echoes its body, to test signatures over bodies and roles.
  api.post('/v1/echo', async (c) => c.json({ got: await c.req.json<unknown>(), caller: c.get('caller').operatorId }));
  return api;
}

/** A signed header with chosen parts, for tests that need to replay or skew one. */
async function header(parts: { method?: string; path: string; body?: string; ts?: number; nonce?: string; id?: string; key?: Uint8Array }): Promise<string> {
  return signApiRequest(nodeEd25519.signerSync(parts.key ?? kit.keys.admin.privateKey), parts.id ?? 'admin', {
    method: parts.method ?? 'GET',
    pathAndQuery: parts.path,
    timestamp: parts.ts ?? kit.clock.at,
    nonce: parts.nonce ?? `n${Math.random().toString(36).slice(2, 12)}`,
    body: encoder.encode(parts.body ?? ''),
  });
}

async function refusal(res: Response): Promise<{ status: number; code: string; reason?: string; detail: string }> {
  expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
  return { ...((await res.json()) as { code: string; reason?: string; detail: string }), status: res.status };
}

describe('API authentication', () => {
  it('serves /health without credentials and refuses /v1 without them (401, WWW-Authenticate)', async () => {
    const api = app();
    expect((await api.request('/health/live')).status).toBe(200);
    const res = await api.request('/v1/status');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Mesh-Ed25519, Bearer');
    expect(res.headers.get('x-request-id')).not.toBeNull();
    expect(await refusal(res)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'MISSING' });
  });

  it('with no operators configured, refuses everything with a message saying how to add one', async () => {
    const api = app({ ...kit.access, operators: operatorDirectory([]) });
    const res = await kit.request(api, 'GET', '/v1/status');
    expect(await refusal(res)).toMatchObject({ status: 401, reason: 'NO_OPERATORS', detail: expect.stringContaining('mesh-lead operator-key') });
  });

  it('accepts a signed request covering the exact body, and refuses the body changed after signing', async () => {
    const api = app();
    const ok = await kit.request(api, 'POST', '/v1/echo', { body: { a: 1 } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ got: { a: 1 }, caller: 'admin' });

    const auth = await header({ method: 'POST', path: '/v1/echo', body: '{"a":1}' });
    const tampered = await api.request('/v1/echo', { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{"a":2}' });
    expect(await refusal(tampered)).toMatchObject({ status: 401, reason: 'BAD_SIGNATURE' });
    // Signed for another path (query included) is no good either.
    const other = await api.request('/v1/status?x=1', { headers: { authorization: await header({ path: '/v1/status' }) } });
    expect(await refusal(other)).toMatchObject({ status: 401, reason: 'BAD_SIGNATURE' });
  });

  it('refuses a key that is not the operator\'s, an unknown operator and a malformed header', async () => {
    const api = app();
    const wrongKey = await api.request('/v1/status', { headers: { authorization: await header({ path: '/v1/status', key: kit.keys.viewer.privateKey }) } });
    expect(await refusal(wrongKey)).toMatchObject({ status: 401, reason: 'BAD_SIGNATURE' });
    const unknown = await api.request('/v1/status', { headers: { authorization: await header({ path: '/v1/status', id: 'mallory' }) } });
    expect(await refusal(unknown)).toMatchObject({ status: 401, reason: 'UNKNOWN_OPERATOR' });
    const malformed = await api.request('/v1/status', { headers: { authorization: 'Mesh-Ed25519 id=admin' } });
    expect(await refusal(malformed)).toMatchObject({ status: 401, reason: 'MALFORMED' });
    const basic = await api.request('/v1/status', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(await refusal(basic)).toMatchObject({ status: 401, reason: 'MALFORMED' });
  });

  it('refuses a timestamp outside the skew allowance, both ways', async () => {
    const api = app();
    for (const ts of [KIT_NOW - 60_001, KIT_NOW + 60_001]) {
      const res = await api.request('/v1/status', { headers: { authorization: await header({ path: '/v1/status', ts }) } });
      expect(await refusal(res)).toMatchObject({ status: 401, reason: 'CLOCK_SKEW' });
    }
    const edge = await api.request('/v1/breakers', { headers: { authorization: await header({ path: '/v1/breakers', ts: KIT_NOW - 60_000 }) } });
    expect(edge.status).toBe(404); // authenticated; this app simply has no breakers route
  });

  it('refuses a replayed nonce, and a bad signature does not use the nonce up', async () => {
    const api = app();
    const forged = await header({ path: '/v1/breakers', nonce: 'nonce-once-1', key: kit.keys.viewer.privateKey });
    expect((await api.request('/v1/breakers', { headers: { authorization: forged } })).status).toBe(401);
    const auth = await header({ path: '/v1/breakers', nonce: 'nonce-once-1' });
    expect((await api.request('/v1/breakers', { headers: { authorization: auth } })).status).toBe(404);
    const replay = await api.request('/v1/breakers', { headers: { authorization: auth } });
    expect(await refusal(replay)).toMatchObject({ status: 401, reason: 'REPLAYED_NONCE' });
  });

  it('lets a read caller GET and answers 403 to its writes', async () => {
    const api = app();
    expect((await kit.request(api, 'GET', '/v1/nothing', { as: 'viewer' })).status).toBe(404);
    const write = await kit.request(api, 'POST', '/v1/echo', { body: {}, as: 'viewer' });
    expect(await refusal(write)).toMatchObject({ status: 403, code: 'FORBIDDEN', detail: expect.stringContaining('role "operator"') });
  });

  it('accepts a bearer token until it expires, never above the configured role', async () => {
    const api = app();
    const token = await issueApiToken(nodeEd25519.signerSync(kit.keys.admin.privateKey), { sub: 'admin', role: 'operator', iat: KIT_NOW, exp: KIT_NOW + 60_000 });
    const bearer = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect((await api.request('/v1/echo', { method: 'POST', headers: bearer, body: '{}' })).status).toBe(200);

    const readToken = await issueApiToken(nodeEd25519.signerSync(kit.keys.admin.privateKey), { sub: 'admin', role: 'read', iat: KIT_NOW, exp: KIT_NOW + 60_000 });
    expect((await api.request('/v1/echo', { method: 'POST', headers: { ...bearer, authorization: `Bearer ${readToken}` }, body: '{}' })).status).toBe(403);
    // The viewer signing itself an operator token still only reads.
    const viewerToken = await issueApiToken(nodeEd25519.signerSync(kit.keys.viewer.privateKey), { sub: 'viewer', role: 'operator', iat: KIT_NOW, exp: KIT_NOW + 60_000 });
    expect((await api.request('/v1/echo', { method: 'POST', headers: { ...bearer, authorization: `Bearer ${viewerToken}` }, body: '{}' })).status).toBe(403);
    // A token for admin signed by someone else's key.
    const forged = await issueApiToken(nodeEd25519.signerSync(kit.keys.viewer.privateKey), { sub: 'admin', role: 'operator', iat: KIT_NOW, exp: KIT_NOW + 60_000 });
    expect(await refusal(await api.request('/v1/status', { headers: { authorization: `Bearer ${forged}` } }))).toMatchObject({ reason: 'BAD_SIGNATURE' });

    kit.clock.at = KIT_NOW + 60_000;
    try {
      expect(await refusal(await api.request('/v1/echo', { method: 'POST', headers: bearer, body: '{}' }))).toMatchObject({ status: 401, reason: 'TOKEN_EXPIRED' });
    } finally {
      kit.clock.at = KIT_NOW;
    }
  });

  it('rate-limits each caller on its own: 429 with Retry-After once its bucket is empty', async () => {
    const api = app({ ...kit.access, rateLimit: { burst: 2, perSecond: 1 } });
    expect((await kit.request(api, 'GET', '/v1/nothing')).status).toBe(404);
    expect((await kit.request(api, 'GET', '/v1/nothing')).status).toBe(404);
    const limited = await kit.request(api, 'GET', '/v1/nothing');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await refusal(limited)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect((await kit.request(api, 'GET', '/v1/nothing', { as: 'viewer' })).status).toBe(404);
    kit.clock.at = KIT_NOW + 1_000;
    try {
      expect((await kit.request(api, 'GET', '/v1/nothing')).status).toBe(404);
    } finally {
      kit.clock.at = KIT_NOW;
    }
  });

  it('limits failed authentications per claimed operator and per source: 429 with Retry-After before any signature check, counted', async () => {
    const limits = new LimitCounters();
    const api = app({ ...kit.access, failureLimit: { burst: 3, perSecond: 0.5 }, limits });
    const forged = async () => api.request('/v1/status', { headers: { authorization: await header({ path: '/v1/status', key: kit.keys.viewer.privateKey }) } });
    for (let i = 0; i < 3; i++) expect((await refusal(await forged())).reason).toBe('BAD_SIGNATURE');
    const limited = await forged();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await refusal(limited)).toMatchObject({ code: 'RATE_LIMITED', reason: 'TOO_MANY_FAILURES' });
    // The source (here every request's, unknown) is over its limit too, so even the real operator waits.
    expect((await api.request('/v1/status', { headers: { authorization: await header({ path: '/v1/status' }) } })).status).toBe(429);
    expect(limits.count('auth_failure_rate')).toBe(2);
    kit.clock.at = KIT_NOW + 2_000;
    try {
      expect((await api.request('/v1/status', { headers: { authorization: await header({ path: '/v1/status' }) } })).status).not.toBe(429);
    } finally {
      kit.clock.at = KIT_NOW;
    }
  });

  it('refuses a body over the limit with 413', async () => {
    const api = app({ ...kit.access, maxBodyBytes: 1_024 });
    const res = await kit.request(api, 'POST', '/v1/echo', { body: { blob: 'x'.repeat(2_000) } });
    expect(await refusal(res)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('the client signer', () => {
  it('signs the target as it goes on the wire, so a query with spaces or non-ASCII verifies', async () => {
    const api = app();
    const path = '/v1/nothing?capability=sensor read&who=zoë';
    const res = await kit.request(api, 'GET', path);
    expect(res.status, await res.clone().text()).toBe(404); // authenticated; the route does not exist
  });
});
