// The generated broker config for HA leads on a real nats-server with JetStream: a lead with
// `ha_bucket` opens its lease bucket and takes the lease under its own permissions; an agent,
// and a lead without `ha_bucket`, cannot touch it. A lead with `jetstream_store` creates, writes
// and follows its group's state buckets and operation streams (not another group's); an agent
// and a lead without it get none of them.
import { join } from 'node:path';
import { inboxPrefix } from '@mesh30k/shared';
import { Events, connect, nkeyAuthenticator, type NatsConnection } from 'nats';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNats, waitFor, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import { SqliteIdempotencyStore } from '../../src/api/idempotency-store.js';
import { LeaseKeeper, openKvLeaseStore } from '../../src/ha/index.js';
import { OpsFollower, OpsMirror, ensureOpsStreams, opsNames } from '../../src/replication/operations/index.js';
import { KINDS, bucketName, openBuckets } from '../../src/replication/buckets.js';
import { LeadStore } from '../../src/store/index.js';
import { HUB_CONFIG_FILE, createNkeyIdentity, writeNatsFiles, type FleetInput, type NkeyIdentity } from '../../src/nats-config/index.js';

const BUCKET = 'mesh_leases';
const GROUP = { prefix: 'mesh', clusterId: 'cluster-1' };
const OPS_LIMITS = { replicas: 1, opsMaxAgeMs: 60_000, conflictsMaxAgeMs: 60_000, conflictsMaxMsgs: 10, deadLettersMaxAgeMs: 60_000, deadLettersMaxMsgs: 10, sensorsPerSubject: 5 };
const silent = pino({ level: 'silent' });
const ids: Record<string, NkeyIdentity> = {};
const open: NatsConnection[] = [];
let dir: TempDir;
let hub: NatsServer;

const identity = (id: string): NkeyIdentity => (ids[id] ??= createNkeyIdentity());

async function client(id: string): Promise<NatsConnection> {
  const nc = await connect({ servers: hub.url, authenticator: nkeyAuthenticator(new TextEncoder().encode(identity(id).seed)), inboxPrefix: inboxPrefix(id), name: id, reconnect: false });
  open.push(nc);
  return nc;
}

/** Counts the permission violations the server reports on `nc`. */
function violations(nc: NatsConnection): { count: number } {
  const seen = { count: 0 };
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === Events.Error && status.data === 'PERMISSIONS_VIOLATION') seen.count += 1;
    }
  })();
  return seen;
}

/** Resolves once `action` has led to one more violation than before it. */
async function violates(nc: NatsConnection, seen: { count: number }, action: () => Promise<unknown>): Promise<void> {
  const before = seen.count;
  await action().catch(() => undefined);
  await waitFor('a permissions violation', 5_000, () => (seen.count > before ? true : undefined));
}

beforeAll(async () => {
  dir = await makeTempDir('mesh30k-ha-perms-');
  const fleet: FleetInput = {
    server: { listen: { host: '127.0.0.1' }, jetstream: { store_dir: join(dir.path, 'js') } },
    leads: [
      { id: 'lead-1', nkey: identity('lead-1').publicKey, ha_bucket: BUCKET, jetstream_store: { prefix: GROUP.prefix, cluster_id: GROUP.clusterId } },
      { id: 'lead-2', nkey: identity('lead-2').publicKey },
    ],
    agents: [{ id: 'pi-a', lead: 'lead-1', nkey: identity('pi-a').publicKey }],
  };
  const natsDir = join(dir.path, 'nats');
  await writeNatsFiles(natsDir, fleet);
  hub = await startNats({ args: ['-c', join(natsDir, HUB_CONFIG_FILE)] });
});

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  await hub?.dispose();
  await dir?.dispose();
});

describe('NATS permissions for HA leads', () => {
  it('let an HA lead open its lease bucket and take the lease', async () => {
    const nc = await client('lead-1');
    const store = await openKvLeaseStore(nc, { bucket: BUCKET, key: 'cluster-1', ttlMs: 2_000, replicas: 1, requestTimeoutMs: 2_000 });
    const keeper = new LeaseKeeper({ store, now: () => performance.now(), logger: pino({ level: 'silent' }) }, { holder: 'lead-1@test' });
    const acquired = new Promise<number>((resolve) => keeper.onChange((event) => event.type === 'acquired' && resolve(event.epoch)));
    keeper.start();
    expect(await acquired).toBeGreaterThan(0);
    expect(await store.read()).toMatchObject({ state: 'held', record: { holder: 'lead-1@test' } });
    // A standby watches the key (an ordered consumer on the bucket's stream): the release reaches it.
    const seen: string[] = [];
    const stopWatch = await store.watch!((observation) => seen.push(observation.state));
    await waitFor('the watch to deliver the entry', 5_000, () => (seen.includes('held') ? true : undefined));
    await keeper.stop({ release: true });
    await waitFor('the watch to deliver the release', 5_000, () => (seen.at(-1) === 'vacant' ? true : undefined));
    stopWatch();
  });

  it('refuse the bucket and its API to an agent and to a lead without ha_bucket', async () => {
    for (const id of ['pi-a', 'lead-2']) {
      const nc = await client(id);
      const seen = violations(nc);
      await expect(openKvLeaseStore(nc, { bucket: BUCKET, key: 'cluster-1', ttlMs: 2_000, replicas: 1, requestTimeoutMs: 500 })).rejects.toThrow();
      expect(seen.count).toBeGreaterThan(0);
      await violates(nc, seen, () => Promise.resolve(nc.publish(`$KV.${BUCKET}.cluster-1`, '{"holder":"forged","epoch":1}')));
    }
  });

  it('let a lead with jetstream_store create, write and follow its group\'s buckets and streams', async () => {
    const nc = await client('lead-1');
    const seen = violations(nc);
    const buckets = await openBuckets(nc, { ...GROUP, replicas: 1 });
    expect(Object.keys(buckets).sort()).toEqual([...KINDS].sort());
    await buckets.registry.put('pi-a', new TextEncoder().encode('{"x":1}'));
    expect((await buckets.registry.get('pi-a'))?.string()).toBe('{"x":1}');
    const watch = await buckets.registry.watch();
    for await (const entry of watch) {
      expect(entry.key).toBe('pi-a');
      break;
    }

    const names = opsNames(GROUP.prefix, GROUP.clusterId);
    const jsm = await nc.jetstreamManager({ timeout: 2_000 });
    const streams = ensureOpsStreams(jsm, names, OPS_LIMITS);
    await streams;
    const dataDir = join(dir.path, 'store');
    const store = LeadStore.open(dataDir, { busyTimeoutMs: 1_000 });
    try {
      const mirror = new OpsMirror({ names, logger: silent, publishing: () => true, epoch: () => 1, resumedBy: 'failover' });
      mirror.attach(nc, streams, 2_000);
      mirror.observe(store);
      const follower = new OpsFollower({ store, idempotency: new SqliteIdempotencyStore(store.db), names, logger: silent });
      await follower.start(nc, streams);
      // A reading written by the follower into the same file is a duplicate: the count of applied entries shows it was read.
      await mirror.sensorReading({ agentId: 'pi-a', sensorId: 't', sensorKind: 'gpio.input', value: 1, unit: null, error: null, sampledAt: 1, seq: 1, bootId: 'b', receivedAt: 2 });
      store.deadLetters.add({ createdAt: 1, operationId: null, agentId: 'pi-a', kind: 'coordinate.agent', reason: 'test', attempts: 1, payload: null });
      await waitFor('both entries followed', 10_000, () => (follower.applied >= 2 ? true : undefined));
      expect(await follower.caughtUp(jsm, 2_000)).toBe(true);
      expect(mirror.failures).toBe(0);
      expect(follower.rejected).toBe(0);
      await follower.stop();
    } finally {
      store.close();
    }
    expect(seen.count).toBe(0);

    // Another lead group's stream is out of reach.
    await expect(ensureOpsStreams(await nc.jetstreamManager({ timeout: 500 }), opsNames(GROUP.prefix, 'cluster-2'), OPS_LIMITS)).rejects.toThrow();
    expect(seen.count).toBeGreaterThan(0);
  });

  it('refuse the store\'s buckets and streams to an agent and to a lead without jetstream_store', async () => {
    const names = opsNames(GROUP.prefix, GROUP.clusterId);
    for (const id of ['pi-a', 'lead-2']) {
      const nc = await client(id);
      const seen = violations(nc);
      const js = nc.jetstream({ timeout: 500 });
      await expect(js.views.kv(bucketName(GROUP, 'registry'), { bindOnly: true })).rejects.toThrow();
      await expect(js.consumers.get(names.sensorsStream)).rejects.toThrow();
      expect(seen.count).toBeGreaterThan(0);
      await violates(nc, seen, () => Promise.resolve(nc.publish(`$KV.${bucketName(GROUP, 'registry')}.pi-a`, '{"forged":true}')));
      await violates(nc, seen, () => Promise.resolve(nc.publish(names.sensorReading('pi-a', 't'), '{"forged":true}')));
      await violates(nc, seen, () => Promise.resolve(nc.publish(names.runAcked('op-1', 'pi-a'), '{"forged":true}')));
    }
  });
});
