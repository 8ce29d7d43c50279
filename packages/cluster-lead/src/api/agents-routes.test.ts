import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { beat, harness, ids, type Harness } from '../registry/registry.test-helper.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi } from './app.js';
import { PageTokens } from './page-token.js';

const kit = await apiTestKit();

function app(h: Harness, tokens = new PageTokens()) {
  return createApi({
    access: kit.access,
    status: () => ({}) as never,
    agent: (id) => h.registry.get(id),
    agentIndex: { ids: () => h.registry.agentIds(), size: () => h.registry.size },
    agentAction: (id, action, reason) => {
      if (action === 'quarantine') h.registry.quarantine(id, reason);
      else if (action === 'recover') h.registry.recover(id, reason);
      else h.registry.retire(id, reason);
      return h.registry.get(id);
    },
    pageTokens: tokens,
    readiness: () => [],
    logger: silentLogger(),
  });
}

interface Page {
  agents: { agent_id: string; agent_class: string; cluster_id: string }[];
  next_page_token?: string;
}

async function page(api: ReturnType<typeof app>, query: string): Promise<Page> {
  const res = await kit.request(api, 'GET', `/v1/agents${query}`, { as: 'viewer' });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

describe('GET /v1/agents', () => {
  it('pages by agent id: every agent once, no token on the last page, joiners mid-way never duplicate or skip', async () => {
    const h = harness();
    beat(h, ids('pi', 10));
    const api = app(h);
    const first = await page(api, '?page_size=4');
    expect(first.agents.map((a) => a.agent_id)).toEqual(['pi-00', 'pi-01', 'pi-02', 'pi-03']);
    expect(first.next_page_token).toEqual(expect.any(String));

    // Agents join between pages: one sorting before the cursor, one after.
    beat(h, ['aa-early', 'pi-99']);
    const seen = [...first.agents.map((a) => a.agent_id)];
    let token = first.next_page_token;
    while (token !== undefined) {
      const next = await page(api, `?page_size=4&page_token=${token}`);
      seen.push(...next.agents.map((a) => a.agent_id));
      token = next.next_page_token;
    }
    expect(seen).toEqual([...ids('pi', 10), 'pi-99']);
  });

  it('filters by class, cluster and capability, and binds the token to the filters', async () => {
    const h = harness();
    beat(h, ids('pi', 3), { agentClass: 'D', clusterId: 'c-a', capabilities: ['gpu'] });
    beat(h, ids('pz', 3), { agentClass: 'E', clusterId: 'c-b' });
    const api = app(h);
    const gpus = await page(api, '?class=D&capability=gpu&page_size=2');
    expect(gpus.agents.map((a) => a.agent_id)).toEqual(['pi-00', 'pi-01']);
    expect((await page(api, '?cluster=c-b')).agents.map((a) => a.agent_id)).toEqual(ids('pz', 3));

    const reused = await kit.request(api, 'GET', `/v1/agents?class=E&capability=gpu&page_size=2&page_token=${gpus.next_page_token}`);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ code: 'BAD_REQUEST', errors: [{ field: 'page_token' }] });
    const tampered = await kit.request(api, 'GET', `/v1/agents?class=D&capability=gpu&page_size=2&page_token=${gpus.next_page_token}x`);
    expect(tampered.status).toBe(400);
    // A token from another lead process (other secret) is refused too.
    const other = await kit.request(app(h, new PageTokens()), 'GET', `/v1/agents?class=D&capability=gpu&page_size=2&page_token=${gpus.next_page_token}`);
    expect(other.status).toBe(400);
    const last = await page(api, `?class=D&capability=gpu&page_size=2&page_token=${gpus.next_page_token}`);
    expect(last.agents.map((a) => a.agent_id)).toEqual(['pi-02']);
    expect(last.next_page_token).toBeUndefined();
  });

  it('refuses bad query values, naming each, without coercing', async () => {
    const api = app(harness());
    for (const query of ['?page_size=0', '?page_size=1001', '?page_size=1e2', '?state=sleeping', '?class=Z', '?colour=red', '?page_size=5&page_size=6']) {
      const res = await kit.request(api, 'GET', `/v1/agents${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { errors: { field: string }[]; request_id: string };
      expect(body.errors.length, query).toBeGreaterThan(0);
      expect(body.request_id).toEqual(expect.any(String));
    }
    const res = await kit.request(api, 'GET', '/v1/agents?page_size=0&class=Z');
    expect(((await res.json()) as { errors: { field: string }[] }).errors.map((e) => e.field).sort()).toEqual(['class', 'page_size']);
  });
});

describe('POST /v1/agents/:id/quarantine|recover|retire', () => {
  it('quarantines, recovers and retires an agent; 404 for an unknown one; 403 for a reader', async () => {
    const h = harness();
    beat(h, ids('pi', 20));
    const api = app(h);
    const quarantined = await kit.request(api, 'POST', '/v1/agents/pi-03/quarantine', { body: { reason: 'flapping' } });
    expect(quarantined.status).toBe(200);
    expect(await quarantined.json()).toMatchObject({ agent_id: 'pi-03', action: 'quarantine', state: 'quarantined' });
    expect(await (await kit.request(api, 'POST', '/v1/agents/pi-03/recover', { body: {} })).json()).toMatchObject({ state: 'active', health: 'probation' });
    expect(await (await kit.request(api, 'POST', '/v1/agents/pi-04/retire', { body: {} })).json()).toMatchObject({ health: 'retired' });
    expect(h.registry.get('pi-04')?.routable).toBe(false);
    expect((await kit.request(api, 'POST', '/v1/agents/ghost/retire', { body: {} })).status).toBe(404);
    expect((await kit.request(api, 'POST', '/v1/agents/pi-05/retire', { body: {}, as: 'viewer' })).status).toBe(403);
    expect((await kit.request(api, 'POST', '/v1/agents/pi-05/retire', { body: { reason: 7 } })).status).toBe(400);
  });
});
