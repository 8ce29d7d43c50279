// The management API of a real lead (startLead: NATS, SQLite, registry) over HTTP, with test
// agents heartbeating over a real nats-server: authentication refusals, paging the agent list
// while agents join, an idempotent retry, and a heal job and an agent action through to the end.
import { issueApiToken } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeadApi, startNats, type NatsServer } from '../../../../test/harness/index.js';
import { LeadFixture, OPERATOR_ID } from '../support/lead-fixture.js';

interface AgentPage {
  agents: { agent_id: string; state: string }[];
  next_page_token?: string;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

describe('management API of a running lead', () => {
  let nats: NatsServer;
  let fx: LeadFixture;

  beforeAll(async () => {
    nats = await startNats();
    fx = await LeadFixture.start({ natsUrl: nats.url });
    const agents = await fx.addAgents(ids('pi', 12).map((agentId) => ({ agentId })));
    for (const agent of agents) expect((await agent.heartbeat()).reply.accepted).toBe(true);
  });

  afterAll(async () => {
    await fx?.close();
    await nats?.dispose();
  });

  it('refuses missing, forged, skewed and expired credentials with 401, and serves health without any', async () => {
    const url = fx.lead.api.url;
    expect((await new LeadApi(url).get('/health/live')).status).toBe(200);
    const anonymous = await new LeadApi(url).get<{ code: string; reason: string }>('/v1/status');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'MISSING' });
    expect(anonymous.headers.get('x-request-id')).toEqual(expect.any(String));

    const stranger = await nodeEd25519.generateKeyPair();
    const forged = await new LeadApi(url, { operatorId: OPERATOR_ID, privateKey: stranger.privateKey, now: () => fx.clock.now() }).get<{ reason: string }>('/v1/status');
    expect([forged.status, forged.body.reason]).toEqual([401, 'BAD_SIGNATURE']);
    const skewed = await new LeadApi(url, { operatorId: OPERATOR_ID, privateKey: fx.operatorKeys.privateKey, now: () => fx.clock.now() - 120_000 }).get<{ reason: string }>('/v1/status');
    expect([skewed.status, skewed.body.reason]).toEqual([401, 'CLOCK_SKEW']);

    const token = await issueApiToken(nodeEd25519.signerSync(fx.operatorKeys.privateKey), { sub: OPERATOR_ID, role: 'read', iat: fx.clock.now() - 10_000, exp: fx.clock.now() - 1 });
    const expired = await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ reason: 'TOKEN_EXPIRED' });

    const reader = await issueApiToken(nodeEd25519.signerSync(fx.operatorKeys.privateKey), { sub: OPERATOR_ID, role: 'read', iat: fx.clock.now(), exp: fx.clock.now() + 60_000 });
    expect((await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200);
    const write = await fetch(`${url}/v1/heal`, { method: 'POST', headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' }, body: '{}' });
    expect(write.status).toBe(403);
  });

  it('pages the agent list by id while agents join: every existing agent exactly once', async () => {
    const first = await fx.api.get<AgentPage>('/v1/agents?page_size=5');
    expect(first.status).toBe(200);
    expect(first.body.agents.map((a) => a.agent_id)).toEqual(ids('pi', 5));

    // One joiner sorts before the cursor (not shown: already passed), one after (shown).
    const joiners = await fx.addAgents([{ agentId: 'pa-early' }, { agentId: 'pz-late' }]);
    for (const agent of joiners) expect((await agent.heartbeat()).reply.accepted).toBe(true);

    const seen = first.body.agents.map((a) => a.agent_id);
    let token = first.body.next_page_token;
    while (token !== undefined) {
      const page = await fx.api.get<AgentPage>(`/v1/agents?page_size=5&page_token=${encodeURIComponent(token)}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.agents.map((a) => a.agent_id));
      token = page.body.next_page_token;
    }
    expect(seen).toEqual([...ids('pi', 12), 'pz-late']);
    const all = await fx.api.get<AgentPage>('/v1/agents?page_size=1000&state=active');
    expect(all.body.agents).toHaveLength(14);
    expect(all.body.next_page_token).toBeUndefined();
  });

  it('quarantines an agent, and heals it with a job; the retried heal is answered from the store', async () => {
    const quarantined = await fx.api.post<{ state: string }>('/v1/agents/pi-03/quarantine', { reason: 'integration test' });
    expect([quarantined.status, quarantined.body.state]).toEqual([200, 'quarantined']);

    const heal = await fx.api.post<{ operation_id: string; kind: string; state: string }>('/v1/heal', { target: 'auto' }, { 'idempotency-key': 'heal-1' });
    expect(heal.status).toBe(202);
    expect(heal.body).toMatchObject({ kind: 'heal', state: 'SUCCEEDED' });
    const job = await fx.api.get<{ state: string; result: { recovered: string[] } }>(heal.headers.get('location')!);
    expect(job.body).toMatchObject({ state: 'SUCCEEDED', result: { recovered: ['pi-03'] } });
    expect((await fx.api.get<{ state: string }>('/v1/agents/pi-03')).body.state).toBe('active');

    const retry = await fx.api.post<{ operation_id: string }>('/v1/heal', { target: 'auto' }, { 'idempotency-key': 'heal-1' });
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.operation_id).toBe(heal.body.operation_id);
    const changed = await fx.api.post<{ code: string }>('/v1/heal', { target: 'cluster-1' }, { 'idempotency-key': 'heal-1' });
    expect([changed.status, changed.body.code]).toEqual([422, 'IDEMPOTENCY_MISMATCH']);

    // The stored answer outlives the lead process: it is in SQLite.
    await fx.restart();
    const afterRestart = await fx.api.post<{ operation_id: string }>('/v1/heal', { target: 'auto' }, { 'idempotency-key': 'heal-1' });
    expect(afterRestart.body.operation_id).toBe(heal.body.operation_id);
  });

  it('enrolls an agent through the API (verified against the roots) and revokes it', async () => {
    const [late] = await fx.addAgents([{ agentId: 'pi-late', enrolled: false }]);
    const agent = late!;
    const reason = async () => {
      const reply = await agent.heartbeat();
      return reply.reply.accepted ? 'accepted' : reply.reply.reason?.split(':')[0];
    };
    expect(await reason()).toBe('NOT_ENROLLED');

    const envelope = agent.enrollment as unknown as { bytes: string };
    const tampered = Buffer.from(Buffer.from(envelope.bytes, 'base64url').toString('utf8').replace('"E"', '"A"')).toString('base64url');
    const refused = await fx.api.post<{ code: string }>('/v1/enrollments', { ...envelope, bytes: tampered });
    expect([refused.status, refused.body.code]).toEqual([422, 'ENROLLMENT_REFUSED']);

    const enrolled = await fx.api.post<{ agent_id: string }>('/v1/enrollments', agent.enrollment);
    expect([enrolled.status, enrolled.body.agent_id]).toEqual([201, 'pi-late']);
    expect(await reason()).toBe('accepted');

    expect((await fx.api.delete('/v1/enrollments/pi-late')).status).toBe(204);
    expect(await reason()).not.toBe('accepted');
    expect((await fx.api.delete('/v1/enrollments/nobody')).status).toBe(404);
  });

  it('answers invalid input with problem+json naming each field, and unknown routes with 404', async () => {
    const bad = await fx.api.get<{ code: string; errors: { field: string }[]; request_id: string }>('/v1/agents?page_size=5000&class=Q');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(bad.body.errors.map((e) => e.field).sort()).toEqual(['class', 'page_size']);
    expect(bad.body.request_id).toBe(bad.headers.get('x-request-id'));
    expect((await fx.api.get('/v1/nothing-here')).status).toBe(404);
  });
});
