// Two `mesh-lead run` processes with store.backend "jetstream" and config ha on a three-node
// JetStream cluster: the standby follows the holder's state into its own SQLite file, and after a
// kill -9 of the holder it takes the lease and its API shows the same agent, quarantine and freeze.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LeadApi, makeTempDir, startNatsCluster, waitFor, type NatsCluster, type TempDir } from '../../../../test/harness/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../src/main.js';
import { createTestOperator, type TestOperator } from '../support/test-operator.js';
import { HA_CLUSTER_ID, accepted, killLead, logged, makeHaGroup, startHaLead, type HaGroup, type LeadProc } from './support/ha-leads.js';

const TTL_MS = 2_000;
// ha.ride_through_ms's default. A standby holding the holder's latest acknowledgement takes the
// lease one TTL after the kill; one without it (an acknowledgement lost on a busy machine) waits
// for the server to expire the entry: TTL + ride-through. This test is about the state followed,
// so it allows the longer path.
const RIDE_THROUGH_MS = 10_000;
const START_MS = 30_000;
const FOLLOW_MS = 15_000;

let cluster: NatsCluster;
let dir: TempDir;
let group: HaGroup;
let operator: TestOperator;
const leads: LeadProc[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
  dir = await makeTempDir('mesh30k-ha-js-');
  group = await makeHaGroup(dir.path, cluster.urls);
  operator = await createTestOperator();
});

afterEach(async () => {
  await Promise.all(leads.splice(0).map(killLead));
});

afterAll(async () => {
  await group?.agent.close();
  await cluster?.dispose();
  await dir?.dispose();
});

async function start(name: string): Promise<LeadProc> {
  const lead = await startHaLead(
    group,
    name,
    { enabled: true, lease_key: 'js-kill', ttl_ms: TTL_MS, replicas: 3 },
    {},
    { store: { backend: 'jetstream', jetstream: { replicas: 3, prefix: 'kill' }, snapshot_interval_ms: 200 }, api: { operators: operator.operators } },
  );
  leads.push(lead);
  return lead;
}

/** The lead's API (its port is chosen at start and logged in lead.started). */
async function apiOf(lead: LeadProc): Promise<LeadApi> {
  const started = await logged(lead, 'lead.started', START_MS);
  const url = /API on (\S+)/.exec(String(started.reason))?.[1];
  if (url === undefined) throw new Error(`no API url in ${JSON.stringify(started)}`);
  return new LeadApi(url, { operatorId: operator.id, privateKey: operator.keys.privateKey });
}

/** What a lead's own SQLite file holds now: the agent's state and the frozen clusters. */
function localState(lead: LeadProc): { agentState: string | undefined; health: string | undefined; frozen: string[] } {
  const db = new Database(join(group.dir, `data-${lead.name}`, 'lead.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT data FROM agents WHERE agent_id = ?').pluck().get(group.agent.options.agentId) as string | undefined;
    const agent = row === undefined ? undefined : (JSON.parse(row) as { state: string; health: { state: string } | null });
    const control = db.prepare("SELECT value FROM lead_state WHERE key = 'control'").pluck().get() as string | undefined;
    return { agentState: agent?.state, health: agent?.health?.state, frozen: control === undefined ? [] : (JSON.parse(control) as { frozen_clusters: string[] }).frozen_clusters };
  } finally {
    db.close();
  }
}

describe('store.backend jetstream, two lead processes', () => {
  it("has the standby follow the holder's state and serve it after a kill -9 of the holder", async () => {
    const a = await start('a');
    await logged(a, INTAKE_OPEN_MESSAGE, START_MS);
    const b = await start('b');
    await logged(b, 'following the shared state', START_MS);
    const apiA = await apiOf(a);
    const apiB = await apiOf(b);

    await accepted(group.agent, 5_000);
    expect((await apiA.request('POST', `/v1/agents/${group.agent.options.agentId}/quarantine`, { reason: 'failover test' })).status).toBe(200);
    expect((await apiA.request('POST', '/v1/freeze', { scope: 'cluster', reason: 'failover test' })).status).toBe(200);

    await waitFor('the standby to hold the quarantine and the freeze in its own store', FOLLOW_MS, () => {
      const state = localState(b);
      return state.health === 'quarantined' && state.frozen.includes(HA_CLUSTER_ID) ? state : undefined;
    });

    await killLead(a);
    await logged(b, INTAKE_OPEN_MESSAGE, 2 * TTL_MS + RIDE_THROUGH_MS);
    const agent = await apiB.request<{ agent_id: string; state: string }>('GET', `/v1/agents/${group.agent.options.agentId}`);
    expect([agent.status, agent.body.state]).toEqual([200, 'quarantined']);
    const status = await apiB.request<{ frozen: boolean; agents: { total: number } }>('GET', '/v1/status');
    expect(status.body).toMatchObject({ frozen: true, agents: { total: 1 } });
    // The agent is still enrolled on the new holder: its heartbeats are taken.
    await accepted(group.agent, 2_000);
  });
});
