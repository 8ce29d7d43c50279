import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from './nats-cluster.js';

const TIMEOUT_MS = 5_000;
const BUCKET = 'HARNESS_HA';

let cluster: NatsCluster;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
});

afterAll(async () => {
  for (const connection of connections.splice(0)) await connection.close();
  await cluster?.dispose();
});

async function client(servers: string | readonly string[]): Promise<NatsConnection> {
  const connection = await connect({ servers: [...(typeof servers === 'string' ? [servers] : servers)], timeout: TIMEOUT_MS, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  connections.push(connection);
  return connection;
}

describe('startNatsCluster', () => {
  it('routes the nodes into one cluster: a message published on one node reaches a subscriber on another', async () => {
    expect(cluster.nodes).toHaveLength(3);
    const ports = new Set(cluster.nodes.map((node) => node.port));
    expect(ports.size).toBe(3);
    const first = await client(cluster.urls[0]!);
    const third = await client(cluster.urls[2]!);
    third.subscribe('harness.cluster.echo', { callback: (error, message) => error === null && message.respond(`echo:${message.string()}`) });
    await third.flush();
    const reply = await first.request('harness.cluster.echo', 'across', { timeout: TIMEOUT_MS });
    expect(reply.string()).toBe('echo:across');
  });

  it('keeps a replicated KV entry readable and writable when one node is killed, and the restarted node catches up', async () => {
    const writer = await client(cluster.urls);
    const kv = await writer.jetstream().views.kv(BUCKET, { replicas: 3, history: 1 });
    await kv.put('before', 'written with three nodes');

    const victim = cluster.nodes[1]!;
    await victim.kill();
    expect(victim.running).toBe(false);

    // A client on the survivors still reads what was written and can write more.
    const survivor = await client([cluster.urls[0]!, cluster.urls[2]!]);
    const survivorKv = await survivor.jetstream().views.kv(BUCKET, { bindOnly: true });
    expect((await survivorKv.get('before'))?.string()).toBe('written with three nodes');
    const revision = await survivorKv.put('during', 'written with two nodes');
    expect(revision).toBeGreaterThan(0);

    await victim.restart();
    await cluster.waitForJetStream(1);
    // The restarted node answers for both entries, the one written while it was dead included.
    const rejoined = await client(victim.url);
    const rejoinedKv = await rejoined.jetstream().views.kv(BUCKET, { bindOnly: true });
    const deadline = Date.now() + TIMEOUT_MS;
    let during = (await rejoinedKv.get('during'))?.string();
    while (during === undefined && Date.now() < deadline) during = (await rejoinedKv.get('during'))?.string();
    expect(during).toBe('written with two nodes');
    expect((await rejoinedKv.get('before'))?.string()).toBe('written with three nodes');
  });
});
