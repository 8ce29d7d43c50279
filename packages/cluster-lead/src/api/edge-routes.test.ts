import { ManualClock, PROTOCOL_VERSION, issueEnrollment, keyId, publicKeyText, type AgentClass, type KeyPair } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { describe, expect, it } from 'vitest';
import { EdgeDirectory, registrationFromEnrollment } from '../edge/index.js';
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

async function workerEnrollment(root: KeyPair, worker: KeyPair, agentClass: AgentClass) {
  const signed = await issueEnrollment(nodeEd25519.signerSync(root.privateKey), {
    v: PROTOCOL_VERSION,
    agent_id: 'edge-prod-1',
    public_key: publicKeyText(worker.publicKey),
    role: 'agent',
    class: agentClass,
    capabilities: ['route', 'cache'],
    cluster_id: 'cluster-1',
    issued_at: kit.clock.at - 1_000,
    expires_at: kit.clock.at + 86_400_000,
    issuer_key_id: await keyId(root.publicKey),
  });
  if (!signed.ok) throw signed.error;
  return signed.value;
}

describe('POST /v1/edge-agents with an enrollment (mesh edge add)', () => {
  it('registers the Worker the root enrolled, with the key and capabilities of its record; refuses other roots and classes', async () => {
    const root = await nodeEd25519.generateKeyPair();
    const worker = await nodeEd25519.generateKeyPair();
    const clock = new ManualClock(kit.clock.at);
    const directory = new EdgeDirectory(clock);
    const api = createApi({
      access: kit.access,
      edgeAgents: {
        register: (body) => {
          const outcome = directory.register(body);
          return outcome.ok ? { ok: true, agent: outcome.agent, replaced: outcome.replaced } : { ok: false, path: outcome.path, message: outcome.message };
        },
        registerEnrolled: async (url, enrollment) => {
          const derived = await registrationFromEnrollment([root.publicKey], clock, url, enrollment);
          if (!derived.ok) return derived;
          const outcome = directory.register(derived.registration);
          return outcome.ok ? { ok: true, agent: outcome.agent, replaced: outcome.replaced } : { ok: false, path: outcome.path, message: outcome.message };
        },
        remove: () => false,
        snapshot: () => directory.snapshot(),
      },
      status: () => ({}) as never,
      agent: () => undefined,
      readiness: () => [],
      logger: silentLogger(),
    });
    const res = await kit.request(api, 'POST', '/v1/edge-agents', { body: { url: 'https://edge.example.net', enrollment: await workerEnrollment(root, worker, 'A') } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ agent_id: 'edge-prod-1', url: 'https://edge.example.net', public_key: publicKeyText(worker.publicKey), capabilities: ['route', 'cache'], cluster_id: 'cluster-1' });

    const stranger = await nodeEd25519.generateKeyPair();
    const foreign = await kit.request(api, 'POST', '/v1/edge-agents', { body: { url: 'https://edge.example.net', enrollment: await workerEnrollment(stranger, worker, 'A') } });
    expect(foreign.status).toBe(422);
    expect(await foreign.json()).toMatchObject({ code: 'ENROLLMENT_REFUSED', reason_code: 'BAD_ENROLLMENT_SIGNATURE' });
    const pi = await kit.request(api, 'POST', '/v1/edge-agents', { body: { url: 'https://edge.example.net', enrollment: await workerEnrollment(root, worker, 'E') } });
    expect(await pi.json()).toMatchObject({ code: 'ENROLLMENT_REFUSED', reason_code: 'NOT_AN_EDGE_AGENT' });
    expect((await kit.request(api, 'POST', '/v1/edge-agents', { body: { url: 'ftp://x', enrollment: { bytes: 'x' } } })).status).toBe(400);
  });
});
