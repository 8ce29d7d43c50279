// The generated broker config for HA leads on a real nats-server with JetStream: a lead with
// `ha_bucket` opens its lease bucket and takes the lease under its own permissions; an agent,
// and a lead without `ha_bucket`, cannot touch it.
import { join } from 'node:path';
import { inboxPrefix } from '@mesh30k/shared';
import { Events, connect, nkeyAuthenticator, type NatsConnection } from 'nats';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNats, waitFor, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import { LeaseKeeper, openKvLeaseStore } from '../../src/ha/index.js';
import { HUB_CONFIG_FILE, createNkeyIdentity, writeNatsFiles, type FleetInput, type NkeyIdentity } from '../../src/nats-config/index.js';

const BUCKET = 'mesh_leases';
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
      { id: 'lead-1', nkey: identity('lead-1').publicKey, ha_bucket: BUCKET },
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
    await keeper.stop({ release: true });
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
});
