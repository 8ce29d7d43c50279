// Two leads for one cluster with store.backend "jetstream" on a three-node JetStream cluster, in
// this process: what the lease holder changes (enrollments, agents and their quarantine, freeze,
// mode override, breakers, the conflict quarantine) reaches the standby's own SQLite store by
// following KV; a broken KV entry is counted and skipped; when the holder steps down the standby
// serves the same agents, quarantine and freeze from its API.
import { TrustStoreSnapshot } from '@mesh30k/shared';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LeadApi, makeTempDir, startNatsCluster, waitFor, type NatsCluster, type TempDir } from '../../../../test/harness/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startLead, type Lead } from '../../src/main.js';
import { bucketName, encodeEntry } from '../../src/replication/index.js';
import { FakeLag, INTERVAL_MS, LeadFixture, OPERATOR_ID } from '../support/lead-fixture.js';

const PREFIX = 'follow';
const SYNC_MS = 15_000;

let cluster: NatsCluster;
let dir: TempDir;
let nc: NatsConnection;
let a: LeadFixture;
let b: Lead | undefined;

beforeAll(async () => {
  cluster = await startNatsCluster();
  dir = await makeTempDir('mesh30k-follow-');
  nc = await connect({ servers: [...cluster.urls] });
});

afterAll(async () => {
  await b?.stop('test done');
  await a?.close();
  await nc?.close();
  await cluster?.dispose();
  await dir?.dispose();
});

const shared = {
  store: { backend: 'jetstream', jetstream: { replicas: 3, prefix: PREFIX } },
  ha: { enabled: true, lease_key: 'follow', ttl_ms: 2_000, replicas: 3 },
};

/** The standby: A's identity and config, its own data dir and port, on A's clock. */
function startStandby(): Promise<Lead> {
  return startLead({ ...a.config, data_dir: `${dir.path}/data-b` }, { clock: a.clock, lag: new FakeLag(), logger: silentLogger(), timers: false });
}

function bApi(lead: Lead): LeadApi {
  return new LeadApi(lead.api.url, { operatorId: OPERATOR_ID, privateKey: a.operatorKeys.privateKey, now: () => a.clock.now() });
}

describe('store.backend jetstream with a standby lead', () => {
  it("follows the holder's changes into the standby's SQLite, skips broken entries, and serves them after the takeover", async () => {
    a = await LeadFixture.start({ natsUrl: cluster.urls[0]!, config: shared });
    expect(a.lead.ha.role()).toBe('active');
    b = await startStandby();
    expect(b.ha.role()).toBe('standby');

    // Changes on the holder, each committed to its SQLite first.
    const [pi1, pi2] = await a.addAgents([{ agentId: 'pi-1' }, { agentId: 'pi-2', sectorId: 'sector-7' }, { agentId: 'pi-3' }]);
    await pi1!.heartbeat();
    await pi2!.heartbeat();
    expect((await a.api.request('DELETE', '/v1/enrollments/pi-3')).status).toBe(204);
    expect((await a.api.request('PUT', '/v1/mode', { override: 'DEGRADED_LIGHT' })).status).toBe(200);
    expect((await a.api.post('/v1/agents/pi-2/quarantine', { reason: 'replication test' })).status).toBe(200);
    expect((await a.api.post('/v1/freeze', { scope: 'cluster', reason: 'replication test' })).status).toBe(200);
    expect((await a.api.post('/v1/breakers/cluster-9/force', { state: 'open', scope: 'cluster' })).status).toBe(200);
    a.lead.store.quarantine.hold({ conflictId: 'c:one/1', agentId: 'pi-1', messageId: null, data: { reading: 3 }, at: a.clock.now() });
    await a.lead.flushSnapshot();
    await a.lead.replication.settled();

    // The standby's own store holds them, its in-memory state does not yet.
    const store = b.store;
    await waitFor('the standby to follow the agents', SYNC_MS, () => {
      const agents = store.agents.loadAll().agents;
      const quarantined = agents.find((agent) => agent.agent_id === 'pi-2')?.health?.state === 'quarantined';
      return agents.length === 2 && quarantined ? true : undefined;
    });
    await waitFor('the standby to follow freeze, trust and the conflict quarantine', SYNC_MS, () => {
      const trust = store.state.get('trust_store', TrustStoreSnapshot);
      const enrolled = new Set(trust?.keys.map((key) => key.record.agent_id));
      const control = store.state.get('control', TrustControl);
      const revoked = trust?.revoked_agents.some((entry) => entry.agent_id === 'pi-3');
      return enrolled.has('pi-1') && enrolled.has('pi-2') && revoked && control?.frozen_clusters.includes('cluster-1') && store.quarantine.get('c:one/1') !== undefined ? true : undefined;
    });
    expect(store.enrollments.list().map((item) => item.agentId).sort()).toEqual(['pi-1', 'pi-2', 'pi-3']);
    expect(store.state.get('mode_override', z.string().nullable())).toBe('DEGRADED_LIGHT');
    expect(store.state.get('breakers', BreakerList)).toEqual([expect.objectContaining({ target_id: 'cluster-9', state: 'open' })]);
    expect(b.registry.size).toBe(0);

    // A broken entry (not JSON) and an entry whose state fails its schema: counted, skipped.
    const registry = await nc.jetstream().views.kv(bucketName({ prefix: PREFIX, clusterId: 'cluster-1' }, 'registry'), { bindOnly: true });
    await registry.put('pi-broken', new TextEncoder().encode('{not json'));
    await registry.put('pi-bad', encodeEntry(null, Date.now(), { agent_id: 'pi-bad', state: 'dancing' }));
    await waitFor('the standby to refuse two registry entries', SYNC_MS, () => (b!.replication.stats()?.follower?.rejected.registry === 2 ? true : undefined));
    expect(store.agents.loadAll().agents.map((agent) => agent.agent_id).sort()).toEqual(['pi-1', 'pi-2']);

    // The holder steps down (releasing the lease): the standby loads what it followed and serves it.
    await a.lead.stop('test: step down');
    await b.intake;
    expect(b.ha.role()).toBe('active');
    const api = bApi(b);
    const agents = await api.request<{ agents: Array<{ agent_id: string; state: string }> }>('GET', '/v1/agents');
    expect(agents.status).toBe(200);
    // pi-1 was active on A: it is active here before its first heartbeat to B, and an operation
    // started now is routed to it. Its silence is counted from the takeover: one heartbeat
    // interval (and the re-handshake after it) later it is still eligible.
    expect(Object.fromEntries(agents.body.agents.map((agent) => [agent.agent_id, agent.state]))).toEqual({ 'pi-1': 'active', 'pi-2': 'quarantined' });
    expect(b.registry.select({ selector: { all: true } }).agentIds).toEqual(['pi-1']);
    a.clock.advance(2 * INTERVAL_MS);
    await b.registry.sweep();
    expect(b.registry.get('pi-1')?.state).toBe('active');
    expect(b.freeze.isLeadFrozen()).toBe(true);
    expect(b.trust.lookup('pi-1').ok).toBe(true);
    expect(b.trust.lookup('pi-3')).toMatchObject({ ok: false, error: { code: 'ENROLLMENT_REVOKED' } });
    expect((await api.request<{ override: string | null }>('GET', '/v1/mode')).body.override).toBe('DEGRADED_LIGHT');
    expect(b.breakers.list().find((breaker) => breaker.targetId === 'cluster-9')?.state).toBe('open');
    expect(b.store.quarantine.get('c:one/1')?.status).toBe('held');
    const metrics = await api.request<string>('GET', '/metrics');
    expect(metrics.body).toContain('mesh_lead_replication_rejected_total{kind="registry"} 2');
    // The agents carry on against it.
    expect((await pi1!.heartbeat()).reply.accepted).toBe(true);
  });

  it('loads a lead that starts with an empty database from KV before it takes heartbeats', async () => {
    // No HA: this lead acts at once, but first fills its empty store from the buckets above.
    const config = { ...a.config, data_dir: `${dir.path}/data-c`, ha: { ...a.config.ha, enabled: false } };
    const c = await startLead(config, { clock: a.clock, lag: new FakeLag(), logger: silentLogger(), timers: false });
    try {
      await c.intake;
      expect(c.restored).toBe(0);
      expect(c.registry.get('pi-2')?.state).toBe('quarantined');
      expect(c.registry.size).toBe(2);
      expect(c.freeze.isLeadFrozen()).toBe(true);
      expect(c.store.agents.count()).toBe(2);
      // What it followed is not written back (a follower still applying would echo it forever).
      await c.replication.settled();
      expect(c.replication.stats()?.mirror.puts).toBe(0);
    } finally {
      await c.stop('test done');
    }
  });
});

const TrustControl = z.object({ frozen_clusters: z.array(z.string()) });
const BreakerList = z.array(z.object({ target_id: z.string(), state: z.string() }));
