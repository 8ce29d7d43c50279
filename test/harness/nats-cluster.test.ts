import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from './nats-cluster.js';

const TIMEOUT_MS = 5_000;
// A killed node may have led the bucket's stream: the survivors elect a new leader first.
const ELECTION_MS = 20_000;
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

/** `attempt` again until it resolves or the deadline passes (JetStream answers errors or times out while it elects). */
async function retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ELECTION_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${ELECTION_MS} ms`, { cause: error });
    }
  }
}

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
    // Every node saw the metadata leader elected, and says which node it is (itself or another).
    for (const node of cluster.nodes) expect(node.leaderLines().some((line) => /new JetStream cluster metadata leader|JetStream cluster new metadata leader: /.test(line))).toBe(true);
    const first = await client(cluster.urls[0]!);
    const third = await client(cluster.urls[2]!);
    third.subscribe('harness.cluster.echo', { callback: (error, message) => error === null && message.respond(`echo:${message.string()}`) });
    await third.flush();
    // The subscriber's interest reaches the other nodes over the routes a moment later: until then, no responders.
    const reply = await retrying('the echo across the cluster', () => first.request('harness.cluster.echo', 'across', { timeout: TIMEOUT_MS }));
    expect(reply.string()).toBe('echo:across');
  });

  it('keeps a replicated KV entry readable and writable when the node leading its stream is killed, and the restarted node catches up', async () => {
    const writer = await client(cluster.urls);
    const kv = await writer.jetstream().views.kv(BUCKET, { replicas: 3, history: 1 });
    await kv.put('before', 'written with three nodes');

    // The hard case: the node leading the bucket's stream.
    const leader = (await (await writer.jetstreamManager()).streams.info(`KV_${BUCKET}`)).cluster?.leader ?? '';
    const victimIndex = cluster.nodes.findIndex((_, index) => leader.endsWith(`-n${index}`));
    expect(victimIndex).toBeGreaterThanOrEqual(0);
    const victim = cluster.nodes[victimIndex]!;
    const streamLeaderLine = `new stream leader for '$G > KV_${BUCKET}'`;
    const electionsBefore = cluster.nodes.map((node) => node.leaderLines().filter((line) => line.includes(streamLeaderLine)).length);
    await victim.kill();
    expect(victim.running).toBe(false);

    // A client on the survivors still reads what was written and can write more.
    const survivor = await client(cluster.urls.filter((_, index) => index !== victimIndex));
    const survivorKv = await retrying('binding the bucket', () => survivor.jetstream().views.kv(BUCKET, { bindOnly: true }));
    expect((await retrying('reading', () => survivorKv.get('before')))?.string()).toBe('written with three nodes');
    const revision = await retrying('writing', () => survivorKv.put('during', 'written with two nodes'));
    expect(revision).toBeGreaterThan(0);
    // The write needed a new stream leader: a survivor logged its election.
    expect(cluster.nodes.some((node, index) => index !== victimIndex && node.leaderLines().filter((line) => line.includes(streamLeaderLine)).length > electionsBefore[index]!)).toBe(true);

    await victim.restart();
    await cluster.waitForJetStream(victimIndex);
    // The restarted node answers for both entries, the one written while it was dead included.
    const rejoined = await client(victim.url);
    const rejoinedKv = await retrying('binding the bucket on the rejoined node', () => rejoined.jetstream().views.kv(BUCKET, { bindOnly: true }));
    const during = await retrying('reading what was written while the node was dead', async () => {
      const entry = await rejoinedKv.get('during');
      if (entry === null) throw new Error('not there yet');
      return entry.string();
    });
    expect(during).toBe('written with two nodes');
    expect((await rejoinedKv.get('before'))?.string()).toBe('written with three nodes');
  });
});
