import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi } from './app.js';
import type { EdgeAgentJson } from './edge-routes.js';

const kit = await apiTestKit();

describe('GET /v1/edge-agents', () => {
  it('pages by agent id; a Worker registered between pages is shown once if it sorts after the cursor', async () => {
    const agents: EdgeAgentJson[] = ['edge-3', 'edge-1', 'edge-2'].map((id) => ({ agent_id: id, url: `https://${id}.example`, class: 'B', capabilities: [], cluster_id: 'c-1', public_key: 'k' }));
    const api = createApi({
      access: kit.access,
      edgeAgents: { register: () => ({ ok: false, path: '', message: 'unused' }), remove: () => false, snapshot: () => [...agents] },
      status: () => ({}) as never,
      agent: () => undefined,
      readiness: () => [],
      logger: silentLogger(),
    });
    const first = (await (await kit.request(api, 'GET', '/v1/edge-agents?page_size=2')).json()) as { edge_agents: EdgeAgentJson[]; next_page_token: string };
    expect(first.edge_agents.map((a) => a.agent_id)).toEqual(['edge-1', 'edge-2']);
    agents.push({ ...agents[0]!, agent_id: 'edge-0' }, { ...agents[0]!, agent_id: 'edge-9' });
    const second = (await (await kit.request(api, 'GET', `/v1/edge-agents?page_size=2&page_token=${first.next_page_token}`)).json()) as { edge_agents: EdgeAgentJson[]; next_page_token?: string };
    expect(second.edge_agents.map((a) => a.agent_id)).toEqual(['edge-3', 'edge-9']);
    expect(second.next_page_token).toBeUndefined();
  });
});
