// Two real `mesh-lead run` processes for one cluster (config `ha`, same lead id, key and
// enrollments) on a three-node JetStream cluster: one takes heartbeats, the other stands by with
// its intake closed; kill -9 of the active one makes the standby serve; a paused active one
// exits 75 on SIGCONT instead of acting on what it knew before the pause.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNatsCluster, type NatsCluster, type TempDir } from '../../../../test/harness/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../src/main.js';
import { signedReply } from '../support/test-agents.js';
import { accepted, killLead, logged, makeHaGroup, startHaLead, type HaGroup, type LeadProc } from './support/ha-leads.js';

const TTL_MS = 2_000;
const START_MS = 30_000;
const TEMPFAIL = 75;

let cluster: NatsCluster;
let dir: TempDir;
let group: HaGroup;
const leads: LeadProc[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
  dir = await makeTempDir('mesh30k-ha-');
  group = await makeHaGroup(dir.path, cluster.urls);
});

afterEach(async () => {
  await Promise.all(leads.splice(0).map(killLead));
});

afterAll(async () => {
  await group?.agent.close();
  await cluster?.dispose();
  await dir?.dispose();
});

/** Starts the holder, then the standby, each with the lease `key`. */
async function pair(key: string): Promise<{ active: LeadProc; standby: LeadProc }> {
  const ha = { enabled: true, lease_key: key, ttl_ms: TTL_MS, replicas: 3 };
  const active = await startHaLead(group, `${key}-a`, ha);
  leads.push(active);
  await logged(active, INTAKE_OPEN_MESSAGE, START_MS);
  const standby = await startHaLead(group, `${key}-b`, ha);
  leads.push(standby);
  await logged(standby, 'standing by for the lease', START_MS);
  return { active, standby };
}

describe('two leads for one cluster with config ha', () => {
  it('serves heartbeats from the lease holder only, and from the standby within a few seconds of a kill -9', async () => {
    const { active, standby } = await pair('kill');
    await accepted(group.agent, 5_000);
    expect(standby.lines.some((line) => line.msg === INTAKE_OPEN_MESSAGE)).toBe(false);
    const first = await logged(active, 'lease acquired', 1_000);
    // Replies carry the holder's lease epoch, for the agents' fence.
    expect(signedReply((await group.agent.heartbeat()).reply).lease_epoch).toBe(first.epoch);

    const killedAt = Date.now();
    await killLead(active);
    const servedAt = await accepted(group.agent, 4 * TTL_MS);
    const took = await logged(standby, 'lease acquired', 1_000);
    expect(took.epoch as number).toBeGreaterThan(first.epoch as number);
    expect(signedReply((await group.agent.heartbeat()).reply).lease_epoch).toBe(took.epoch);
    // One TTL for the entry to expire, a check, and the intake subscribing.
    expect(servedAt - killedAt).toBeLessThan(3 * TTL_MS);
  });

  it('makes a paused holder exit 75 on SIGCONT, its successor serving meanwhile', async () => {
    const { active, standby } = await pair('pause');
    active.child.kill('SIGSTOP');
    await logged(standby, INTAKE_OPEN_MESSAGE, 4 * TTL_MS);
    await accepted(group.agent, 5_000);
    active.child.kill('SIGCONT');
    const [code] = await active.exited;
    expect(code).toBe(TEMPFAIL);
    const fatal = active.lines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('lost the lease'));
    expect(fatal).toMatchObject({ reason: 'expired' });
    await accepted(group.agent, 2_000);
  });
});
