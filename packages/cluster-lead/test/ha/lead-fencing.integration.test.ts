// Fencing of `mesh-lead run` processes with config `ha` on a real three-node JetStream cluster:
// a lead cut off with the one NATS node it knows (the node restarted without routes, its
// JetStream without quorum) loses the lease and exits 75 while the others keep serving; a paused
// lead says nothing stamped with its old epoch after it resumes; a standby started after the
// active lead has state stands by until that lead dies.
import { EpochFence } from '@mesh30k/shared';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTempDir, startNats, startNatsCluster, waitFor, type NatsCluster, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../src/main.js';
import { signedReply } from '../support/test-agents.js';
import { HA_LEAD_ID, accepted, killLead, logged, makeHaGroup, startHaLead, type HaGroup, type LeadProc } from './support/ha-leads.js';

const TTL_MS = 2_000;
const START_MS = 30_000;
const TEMPFAIL = 75;

let cluster: NatsCluster;
let dir: TempDir;
let group: HaGroup;
let observer: NatsConnection;
const leads: LeadProc[] = [];
const isolated: NatsServer[] = [];

beforeAll(async () => {
  // Clients know only the servers they are given: the cut-off lead cannot find nodes 1 and 2 by itself.
  cluster = await startNatsCluster({ noAdvertise: true });
  dir = await makeTempDir('mesh30k-ha-fence-');
  // The test agent and the leads that keep serving are on nodes 1 and 2; node 0 is the one cut off.
  group = await makeHaGroup(dir.path, [cluster.urls[1]!, cluster.urls[2]!]);
  observer = await connect({ servers: [cluster.urls[1]!, cluster.urls[2]!] });
});

afterEach(async () => {
  await Promise.all(leads.splice(0).map(killLead));
});

afterAll(async () => {
  await observer?.close();
  await group?.agent.close();
  await Promise.all(isolated.map((server) => server.dispose()));
  await cluster?.dispose();
  await dir?.dispose();
});

const haConfig = (key: string) => ({ enabled: true, lease_key: key, ttl_ms: TTL_MS, replicas: 3 });

async function started(lead: LeadProc, message: string): Promise<LeadProc> {
  leads.push(lead);
  await logged(lead, message, START_MS);
  return lead;
}

/** Every lease epoch stamped on what travels under the lead's subjects, agents' subjects and inboxes, in order. */
function stampedEpochs(): { epochs: number[]; stop: () => void } {
  const epochs: number[] = [];
  const subscription = observer.subscribe('>', {
    callback: (_error, msg) => {
      if (!msg.subject.startsWith('mesh.') && !msg.subject.startsWith('_INBOX')) return;
      try {
        const epoch = (JSON.parse(msg.string()) as { lease_epoch?: unknown }).lease_epoch;
        if (typeof epoch === 'number') epochs.push(epoch);
      } catch {
        // not a JSON body (a session-tagged frame is JSON too; anything else is not ours)
      }
    },
  });
  return { epochs, stop: () => subscription.unsubscribe() };
}

describe('fencing of HA leads', () => {
  it('a lead whose only NATS node is cut off from the other two loses the lease and exits 75; the others keep serving', async () => {
    const cutOff = await started(await startHaLead({ ...group, servers: [cluster.urls[0]!] }, 'split-a', haConfig('split')), INTAKE_OPEN_MESSAGE);
    const first = await logged(cutOff, 'lease acquired', 1_000);
    const survivor = await started(await startHaLead(group, 'split-b', haConfig('split')), 'standing by for the lease');
    await accepted(group.agent, 5_000);

    // Node 0 comes back at once on the same port and store, its only route leading nowhere (a port
    // nobody listens on): its clients reconnect to a server whose JetStream knows three peers and
    // reaches none (no quorum, no writes). nats-server refuses clustered JetStream with no route at all.
    const node = cluster.nodes[0]!;
    await node.kill();
    const [ownRoute, deadRoute] = [await freePort(), await freePort()];
    const alone = await startNats({
      port: node.port,
      args: ['-js', '-sd', node.storeDir!, '-n', `${cluster.name}-n0`, '--cluster_name', cluster.name, '--cluster', `nats://127.0.0.1:${ownRoute}`, '--routes', `nats://127.0.0.1:${deadRoute}`, '--no_advertise'],
    });
    isolated.push(alone);

    const code = await waitFor('the cut-off lead to exit', 8 * TTL_MS, () => cutOff.child.exitCode ?? undefined).catch((error: unknown) => {
      throw new Error(`${String(error)}; its last lines: ${JSON.stringify(cutOff.lines.slice(-8))}; node 0: ${alone.logTail().slice(-8).join(' | ')}`);
    });
    expect(code).toBe(TEMPFAIL);
    expect(cutOff.lines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('lost the lease'))).toBeDefined();
    const took = await logged(survivor, 'lease acquired', 6 * TTL_MS);
    expect(took.epoch as number).toBeGreaterThan(first.epoch as number);
    await accepted(group.agent, 4 * TTL_MS);
    expect(signedReply((await group.agent.heartbeat()).reply).lease_epoch).toBe(took.epoch);
    // Put node 0 back into the cluster for the tests that follow.
    await alone.dispose();
    isolated.splice(isolated.indexOf(alone), 1);
    await node.restart();
    await cluster.waitForJetStream();
  });

  it('a paused lead that resumes after its successor took over says nothing stamped with its old epoch', async () => {
    const paused = await started(await startHaLead(group, 'pause-a', haConfig('pause')), INTAKE_OPEN_MESSAGE);
    const first = await logged(paused, 'lease acquired', 1_000);
    const successor = await started(await startHaLead(group, 'pause-b', haConfig('pause')), 'standing by for the lease');
    await accepted(group.agent, 5_000);

    paused.child.kill('SIGSTOP');
    const took = await logged(successor, 'lease acquired', 4 * TTL_MS);
    // The stopped lead's subscription outlives it on the server: a beat sent before the successor
    // subscribes has a responder that never answers, and waits out the request timeout.
    await logged(successor, INTAKE_OPEN_MESSAGE, 5_000);
    await accepted(group.agent, 5_000);
    const seen = stampedEpochs();
    try {
      paused.child.kill('SIGCONT');
      const [code] = await paused.exited;
      expect(code).toBe(TEMPFAIL);
      // The successor keeps answering, and the old epoch never shows again on the wire. The
      // observer's interest in '>' reaches the other cluster nodes when the routes carry it, not
      // when subscribe() returns: beat until it has seen a stamped reply.
      await waitFor('the observer to see a stamped reply', 10_000, async () => {
        await accepted(group.agent, 2_000);
        await observer.flush();
        return seen.epochs.length > 0 ? true : undefined;
      });
      const fence = new EpochFence();
      fence.check(HA_LEAD_ID, took.epoch as number);
      for (const epoch of seen.epochs) fence.check(HA_LEAD_ID, epoch);
      expect(seen.epochs.length).toBeGreaterThan(0);
      expect(seen.epochs.filter((epoch) => epoch === first.epoch)).toEqual([]);
      expect(fence.refused).toBe(0);
    } finally {
      seen.stop();
    }
  });

  it('a standby started after the active lead has agents stands by, and serves once that lead is killed', async () => {
    const active = await started(await startHaLead(group, 'late-a', haConfig('late')), INTAKE_OPEN_MESSAGE);
    const first = await logged(active, 'lease acquired', 1_000);
    // State first: the agent is registered and heartbeating with the active lead.
    for (let i = 0; i < 3; i++) await accepted(group.agent, 5_000);
    const late = await started(await startHaLead(group, 'late-b', haConfig('late')), 'standing by for the lease');
    // Two lease periods of heartbeats: all answered by the first holder, its lease renewed, not taken.
    const until = Date.now() + 2 * TTL_MS;
    while (Date.now() < until) {
      const reply = signedReply((await group.agent.heartbeat()).reply);
      expect(reply.lease_epoch).toBe(first.epoch);
    }
    expect(late.lines.some((line) => line.msg === INTAKE_OPEN_MESSAGE)).toBe(false);

    await killLead(active);
    const took = await logged(late, 'lease acquired', 4 * TTL_MS);
    expect(took.epoch as number).toBeGreaterThan(first.epoch as number);
    await accepted(group.agent, 4 * TTL_MS);
    expect(signedReply((await group.agent.heartbeat()).reply).lease_epoch).toBe(took.epoch);
  });
});
