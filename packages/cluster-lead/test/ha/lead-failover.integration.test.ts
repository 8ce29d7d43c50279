// Two real `mesh-lead run` processes for one cluster (config `ha`, same lead id, key and
// enrollments) on a three-node JetStream cluster: one takes heartbeats, the other stands by with
// its intake closed; kill -9 of the active one makes the standby serve; a paused active one
// exits 75 on SIGCONT instead of acting on what it knew before the pause. With each lead its own
// key (enrolled by the mesh root for the one lead id), a real agent daemon that pins only the
// root follows the failover to the other key without reconfiguration, and refuses a stranger's.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SIGNATURE_HEADER, SIGNER_HEADER, encodeMessage, publicKeyText, subjects } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import { connect, headers } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN, makeTempDir, spawnCli, startNatsCluster, type CliProcess, type LogLine, type NatsCluster, type TempDir } from '../../../../test/harness/index.js';
import { provisionMeshDaemon } from '../../../../test/harness/mesh-daemon.js';
import { INTAKE_OPEN_MESSAGE } from '../../src/main.js';
import { createTestRoot, enroll, signedReply } from '../support/test-agents.js';
import { HA_CLUSTER_ID, HA_LEAD_ID, accepted, killLead, logged, makeHaGroup, startHaLead, type HaGroup, type LeadProc } from './support/ha-leads.js';

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

const agents: CliProcess[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) {
    agent.child.kill('SIGKILL');
    await agent.exited;
  }
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

describe('two leads with their own keys, both enrolled by the mesh root as lead', () => {
  it('a daemon pinning only the root follows a kill -9 to the other key, and refuses a key no root enrolled', async () => {
    await mkdir(join(dir.path, 'own'));
    const own = await makeHaGroup(join(dir.path, 'own'), cluster.urls, { ownKeys: true });
    try {
      const enrollDir = join(own.dir, 'enrolled');
      await mkdir(enrollDir, { recursive: true });
      await writeFile(join(enrollDir, 'pi-ha.json'), JSON.stringify([own.agent.enrollment]));
      const files = await provisionMeshDaemon({
        agentId: 'pi-rooted', dir: join(own.dir, 'pi-rooted'), root: own.root.keys, leadId: HA_LEAD_ID, leadPublicKey: 'trust_roots', clusterId: HA_CLUSTER_ID,
        capabilities: [], natsUrl: cluster.urls[1]!, heartbeatMs: 500, logLevel: 'info', enrollDir,
      });
      const ha = { enabled: true, lease_key: 'keys', ttl_ms: TTL_MS, replicas: 3 };
      const a = await startHaLead(own, 'keys-a', ha, {}, { trust: { enrollments: enrollDir } });
      leads.push(a);
      await logged(a, INTAKE_OPEN_MESSAGE, START_MS);
      const b = await startHaLead(own, 'keys-b', ha, {}, { trust: { enrollments: enrollDir } });
      leads.push(b);
      await logged(b, 'standing by for the lease', START_MS);
      expect(own.leadKeys.map((key) => publicKeyText(key))).toHaveLength(2);
      const [keyA, keyB] = own.leadKeys.map((key) => publicKeyText(key));
      expect(keyA).not.toBe(keyB);

      const daemon = spawnCli(AGENT_BIN, ['run', '--config', files.configPath]);
      agents.push(daemon);
      const event = (name: string) => (line: LogLine) => line.event === name;
      // Only the holder answers announce: the daemon learns A's key and is answered.
      await daemon.waitForLine('the lead key learnt', event('lead.key_learnt'), START_MS);
      await daemon.waitForLine('a clock sample from the lead', event('clock.synced'), START_MS);

      // A stranger (its own root) pushes a lead enrollment for this lead id, then a FREEZE signed with that key.
      const stranger = await createTestRoot();
      const strangerEnrollment = await enroll(stranger, { agentId: HA_LEAD_ID, publicKey: stranger.keys.publicKey, role: 'lead', agentClass: 'A', capabilities: [], clusterId: HA_CLUSTER_ID, issuedAt: Date.now() - 1_000 });
      const nc = await connect({ servers: cluster.urls[0]! });
      // What announce answers: the lease holder's own enrollment (a standby does not answer).
      const announced = async () => JSON.parse(new TextDecoder().decode((await nc.request(subjects.announce(HA_LEAD_ID), new Uint8Array(), { timeout: 5_000 })).data)) as unknown;
      const enrollmentOf = async (name: string) => JSON.parse(await readFile(join(own.dir, `${name}.lead-enrollment.json`), 'utf8')) as unknown;
      try {
        expect(await announced()).toEqual(await enrollmentOf('keys-a'));
        nc.publish(subjects.leadKey(HA_LEAD_ID), new TextEncoder().encode(JSON.stringify(strangerEnrollment)));
        const refusedKey = await daemon.waitForLine("the stranger's enrollment refused", event('lead.key_unknown'), 10_000);
        expect(refusedKey.code).toBe('BAD_ENROLLMENT_SIGNATURE');
        const freeze = await encodeMessage(sampleMessage('FREEZE', { sender: HA_LEAD_ID, at: Date.now() }), nodeEd25519.signerSync(stranger.keys.privateKey), HA_LEAD_ID);
        const h = headers();
        h.set(SIGNER_HEADER, freeze.signerId);
        h.set(SIGNATURE_HEADER, freeze.signature);
        nc.publish(subjects.control(HA_LEAD_ID), freeze.body, { headers: h });
        const refusedFreeze = await daemon.waitForLine("the stranger's FREEZE refused", (line) => line.event === 'message.refused' && line.code === 'BAD_SIGNATURE', 10_000);
        expect(refusedFreeze.subject).toBe(subjects.control(HA_LEAD_ID));
        expect(daemon.lines.some(event('agent.frozen'))).toBe(false);

        // kill -9 of A: B takes the lease with its own key; the daemon is answered again, not restarted.
        const before = daemon.lines.length;
        await killLead(a);
        await logged(b, 'lease acquired', 4 * TTL_MS);
        const after = (name: string) => (line: LogLine) => line.event === name && daemon.lines.indexOf(line) >= before;
        await daemon.waitForLine("B's key learnt", after('lead.key_learnt'), 4 * TTL_MS);
        await daemon.waitForLine('heartbeats answered by B', after('heartbeat.recovered'), 6 * TTL_MS);
        expect(daemon.child.exitCode).toBeNull();
        expect(await announced()).toEqual(await enrollmentOf('keys-b'));
      } finally {
        await nc.close();
      }
      // B's heartbeat replies are signed with B's key, and the test agent knows both.
      expect(signedReply((await own.agent.heartbeat()).reply).accepted).toBe(true);
    } finally {
      await own.agent.close();
    }
  }, 120_000);
});

