import { issueApiToken } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, describe, expect, it } from 'vitest';
import { apiTestKit, KIT_NOW } from '../api/api-test-kit.js';
import { createApi, type LeadStatusBody } from '../api/app.js';
import { EventBus, LEAD_EVENTS } from '../lib/events.js';
import { silentLogger } from '../lib/logger.js';
import { createWebUi } from './web-ui.js';

const kit = await apiTestKit();
const status = { lead_id: 'lead-a', cluster_id: 'c1', mesh: { agents_active: 3, agents_total: 4, mode: 'FULL' } } as unknown as LeadStatusBody;
const events = new EventBus();
const frozen: unknown[] = [];
const web = createWebUi({ access: kit.access, status: () => status, events, logger: silentLogger() });
const control = {
  freeze: (request: unknown) => {
    frozen.push(request);
    return Promise.resolve({ action: 'FREEZE' as const, scope: 'global' as const, targetId: null, messageId: 'm', published: true, frozen: true });
  },
  thaw: () => Promise.reject(new Error('not used')),
};
const api = createApi({ access: kit.access, status: () => status, agent: () => undefined, readiness: () => [], logger: silentLogger(), control, web });
afterAll(() => web.close());

const token = (key: 'admin' | 'viewer', role: 'operator' | 'read') =>
  issueApiToken(nodeEd25519.signerSync(kit.keys[key].privateKey), { sub: key, role, iat: KIT_NOW, exp: KIT_NOW + 3_600_000 });

async function signIn(key: 'admin' | 'viewer', role: 'operator' | 'read'): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const response = await api.request('/ui/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: await token(key, role) }) });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const body = (await response.json()) as { csrf_token: string; role: string };
  expect(body.role).toBe(role);
  return { cookie: setCookie.split(';')[0] ?? '', csrf: body.csrf_token, setCookie };
}

describe('dashboard pages and sign-in', () => {
  it('serves only the sign-in page and the assets without a session', async () => {
    const app = await api.request('/ui/');
    expect(app.status).toBe(302);
    expect(app.headers.get('location')).toBe('/ui/login');
    const login = await api.request('/ui/login');
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await login.text()).toContain('data-page="login"');
    const script = await api.request('/ui/assets/app.js');
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await api.request('/ui/session')).status).toBe(401);
    expect((await api.request('/ui/events')).status).toBe(401);
    expect((await api.request('/v1/status')).status).toBe(401);
  });

  it('refuses a token not signed by the operator, and a sign-in that is not JSON', async () => {
    const forged = await issueApiToken(nodeEd25519.signerSync(kit.keys.viewer.privateKey), { sub: 'admin', role: 'operator', iat: KIT_NOW, exp: KIT_NOW + 60_000 });
    const refused = await api.request('/ui/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: forged }) });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('set-cookie')).toBeNull();
    const form = await api.request('/ui/session', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${await token('admin', 'operator')}` });
    // The API's HTTP rules run before the dashboard's routes: a body that is not JSON is 415.
    expect(form.status).toBe(415);
    expect(form.headers.get('set-cookie')).toBeNull();
  });

  it('opens an HttpOnly SameSite=Strict session that reads the API with the token role', async () => {
    const { cookie, setCookie } = await signIn('admin', 'operator');
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    const page = await api.request('/ui/', { headers: { cookie } });
    expect(page.status).toBe(200);
    const read = await api.request('/v1/status', { headers: { cookie } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { lead_id: string }).lead_id).toBe('lead-a');
  });
});

describe('dashboard writes', () => {
  it('refuses a write with a missing or forged CSRF token and accepts the session one', async () => {
    const { cookie, csrf } = await signIn('admin', 'operator');
    const post = (headers: Record<string, string>) => api.request('/v1/freeze', { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ scope: 'global' }) });
    const missing = await post({});
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { reason: string }).reason).toBe('CSRF');
    expect((await post({ 'x-csrf-token': `${csrf.slice(0, -1)}x` })).status).toBe(403);
    expect(frozen).toHaveLength(0);
    expect((await post({ 'x-csrf-token': csrf })).status).toBe(200);
    expect(frozen).toHaveLength(1);
  });

  it('lets a read-only session act on nothing, CSRF token or not', async () => {
    const { cookie, csrf } = await signIn('viewer', 'read');
    const refused = await api.request('/v1/freeze', { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ scope: 'global' }) });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code?: string; detail: string }).detail).toMatch(/role "read"/);
  });

  it('signs out with the CSRF token only, and the cookie stops working', async () => {
    const { cookie, csrf } = await signIn('admin', 'operator');
    expect((await api.request('/ui/logout', { method: 'POST', headers: { cookie } })).status).toBe(403);
    expect((await api.request('/ui/logout', { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } })).status).toBe(204);
    expect((await api.request('/v1/status', { headers: { cookie } })).status).toBe(401);
  });
});

describe('dashboard live feed', () => {
  it('starts with a snapshot of the status, then carries the lead events', async () => {
    const { cookie } = await signIn('admin', 'operator');
    const controller = new AbortController();
    const response = await api.request('/ui/events', { headers: { cookie }, signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error(`stream ended before ${needle}`);
        text += chunk.value;
      }
    };
    await readUntil('event: snapshot');
    await readUntil('"lead_id":"lead-a"');
    events.emit({ name: LEAD_EVENTS.agentOffline, at: KIT_NOW, agentId: 'pi-7', clusterId: 'c1', from: 'active', to: 'offline', reason: 'missed beats' });
    await readUntil('"agent_id":"pi-7"');
    expect(text).toMatch(/event: lead-event\ndata: \{"name":"agent.offline".*\}\nid: \d+\n/);
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });
});
