// Two lead-shaped holders compete for one lease on a real three-node JetStream cluster: one acts,
// the other stands by. Processes where the holder itself is faulted (kill -9, SIGSTOP), holders
// inside the test process where NATS is; a fence on the receiving side refuses whatever a fenced
// holder still sends. A NATS node killed, also the one leading the lease stream: the holder rides
// through the stream's election on its standby's promise (witnesses on core NATS), no failover.
// A lease bucket deleted and created again (its revisions start over) still gives the next holder
// an epoch above the last one.
import { EpochFence } from '@mesh30k/shared';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, waitFor, type NatsCluster } from '../../../../test/harness/index.js';
import { ThreadedLease, type LeaseEvent } from '../../src/ha/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { InProcessHolder } from './support/holder-in-process.js';
import { HolderProcess, type HolderLog, type HolderSpec } from './support/holder-process.js';

const TTL_MS = 2_000;
// The bucket's max age beyond the TTL (ha.ride_through_ms's default): a holder rides through a
// lease stream election on its standby's promise.
const RIDE_THROUGH_MS = 10_000;
const BUCKET = 'mesh_leases';
// Start-up of a tsx process on a loaded machine, then one TTL and a few checks.
const START_MS = 15_000;
const TAKEOVER_MS = TTL_MS * 3;

interface Received {
  readonly holder: string;
  readonly epoch: number;
  readonly seq: number;
  readonly admitted: boolean;
  readonly at: number;
}

let cluster: NatsCluster;
let observer: NatsConnection;
const holders: HolderLog[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
  observer = await connect({ servers: [...cluster.urls], reconnectTimeWait: 50, maxReconnectAttempts: -1 });
});

afterEach(async () => {
  await Promise.all(holders.splice(0).map((holder) => holder.kill()));
});

afterAll(async () => {
  await observer?.close();
  await cluster?.dispose();
});

/** Everything published on `subject`, passed through one fence as an agent would. */
async function watchActions(subject: string, key: string): Promise<{ received: Received[]; fence: EpochFence }> {
  const fence = new EpochFence();
  const received: Received[] = [];
  observer.subscribe(subject, {
    callback: (error, message) => {
      if (error !== null) return;
      const body = message.json<{ holder: string; epoch: number; seq: number }>();
      received.push({ ...body, admitted: fence.check(key, body.epoch).admitted, at: Date.now() });
    },
  });
  await observer.flush();
  return { received, fence };
}

function spec(key: string, name: string): HolderSpec {
  return { servers: cluster.urls, bucket: BUCKET, key, holder: name, ttlMs: TTL_MS, rideThroughMs: RIDE_THROUGH_MS, replicas: 3, subject: `test.ha.${key}` };
}

/**
 * Two holders started at once (a process's start-up is the slow part); resolves once one holds the
 * lease and the other runs and is acknowledged by it (so it takes over in one TTL, and the holder
 * waits for its promise before riding through).
 */
async function pairOf<T extends HolderLog>(start: (name: string) => T | Promise<T>): Promise<{ active: T; standby: T; epoch: number }> {
  const both = await Promise.all(['lead-a', 'lead-b'].map(async (name) => {
    const made = await start(name);
    holders.push(made);
    return made;
  }));
  const first = await Promise.any(both.map(async (lead) => ({ lead, line: await lead.acquired(START_MS) })));
  const standby = both.find((lead) => lead !== first.lead)!;
  await standby.waitFor('start', (line) => line.type === 'started', START_MS);
  await standby.waitFor('the holder\'s acknowledgement', (line) => line.type === 'acknowledged' && line.epoch === first.line.epoch, START_MS);
  return { active: first.lead, standby, epoch: first.line.epoch! };
}

const pair = (key: string) => pairOf((name) => new HolderProcess(spec(key, name)));
const pairInProcess = (key: string) => pairOf((name) => InProcessHolder.start(spec(key, name)));

/** Resolves once `ms` have passed, read off the lead's event stream (it fails early if the lead dies). */
async function watchFor(lead: HolderLog, ms: number): Promise<void> {
  const until = Date.now() + ms;
  await lead.waitFor(`${ms} ms to pass`, () => Date.now() > until, ms).catch((error: unknown) => {
    if (!(error instanceof Error) || !error.message.includes('timed out')) throw error;
  });
}

describe('a lease between two leads on a three-node JetStream cluster', () => {
  it('lets one lead act while the other stands by', async () => {
    const { received } = await watchActions('test.ha.one', 'one');
    const { active, standby } = await pairInProcess('one');
    // One TTL and more with both running: the standby would have taken the lease by now if renewals failed.
    await watchFor(standby, TTL_MS + 500);
    await observer.flush();
    expect(standby.lines.some((line) => line.type === 'acquired')).toBe(false);
    expect(active.lines.some((line) => line.type === 'lost')).toBe(false);
    expect(received.length).toBeGreaterThan(0);
    expect(new Set(received.map((message) => message.holder))).toEqual(new Set([active.spec.holder]));
  });

  it('fails over to the standby, with a higher epoch, when the holder is killed -9', async () => {
    const { received } = await watchActions('test.ha.kill', 'kill');
    const { active, standby, epoch } = await pair('kill');
    const killedAt = Date.now();
    await active.kill();
    const took = await standby.acquired(TAKEOVER_MS);
    expect(took.epoch).toBeGreaterThan(epoch);
    // At most one TTL (the entry expiring on the server) plus a few checks after the kill.
    expect(took.seenAt - killedAt).toBeLessThan(TTL_MS * 2);
    await waitFor('an action of the new holder', TTL_MS, () => received.find((message) => message.holder === standby.spec.holder));
    expect(received.every((message) => message.admitted)).toBe(true);
  });

  it('fences a paused holder: after SIGCONT it stops on its own clock and nothing it sends is admitted after its successor spoke', async () => {
    const { received, fence } = await watchActions('test.ha.pause', 'pause');
    const { active, standby, epoch } = await pair('pause');
    active.signal('SIGSTOP');
    const took = await standby.acquired(TAKEOVER_MS);
    expect(took.epoch).toBeGreaterThan(epoch);
    active.signal('SIGCONT');
    const lost = await active.waitFor('the loss', (line) => line.type === 'lost', TAKEOVER_MS);
    // It learnt from its own clock, before any reply from NATS could tell it.
    expect(lost.reason).toBe('expired');
    // It does not take the lease back while its successor renews it.
    await watchFor(active, TTL_MS);
    await observer.flush();
    expect(active.lines.filter((line) => line.type === 'acquired')).toHaveLength(1);
    const name = active.spec.holder;
    // Nothing published after the loss; and anything of the old holder's that reached the observer
    // after its successor's first message (a write stuck in its buffers during the pause) was refused.
    expect(received.filter((message) => message.holder === name).every((message) => message.seq <= lost.published)).toBe(true);
    const successorFirst = received.findIndex((message) => message.holder === standby.spec.holder);
    expect(successorFirst).toBeGreaterThanOrEqual(0);
    const late = received.slice(successorFirst).filter((message) => message.holder === name);
    expect(late.every((message) => !message.admitted)).toBe(true);
    expect(fence.refused).toBe(late.length);
    expect(fence.current('pause')).toBe(took.epoch);
  });

  it('keeps the lease where it is when a NATS node that does not lead the lease stream is killed -9', async () => {
    const { received } = await watchActions('test.ha.node', 'node');
    const { active, standby } = await pairInProcess('node');
    const leader = await streamLeader();
    const victim = cluster.nodes.find((node, index) => !leader.endsWith(`-n${index}`))!;
    await victim.kill();
    try {
      await watchFor(active, TTL_MS + 500);
      expect(active.lines.filter((line) => line.type === 'lost')).toEqual([]);
      expect(standby.lines.some((line) => line.type === 'acquired')).toBe(false);
      const countBefore = received.length;
      await waitFor('more actions of the holder', TTL_MS, () => (received.length > countBefore + 5 ? true : undefined));
    } finally {
      await victim.restart();
      await cluster.waitForJetStream();
    }
  });

  it('keeps the lease where it is when the node leading the lease stream is killed -9: the holder rides through the election on its standby\'s promise and renews with the same epoch', async () => {
    const { received, fence } = await watchActions('test.ha.leader', 'leader');
    const { active, standby, epoch } = await pairInProcess('leader');
    const leader = await streamLeader();
    const victim = cluster.nodes.find((node, index) => leader.endsWith(`-n${index}`))!;
    const killedAt = Date.now();
    await victim.kill();
    try {
      // The stream takes no writes until its survivors elect a leader (3.8-6.5 s measured, past the
      // 2 s TTL): the holder's renewals fail and it rides through; once the new leader is there,
      // its renewal on its last revision lands.
      const rode = await active.waitFor('a ride-through', (line) => line.type === 'ride' && line.ride === 'extended', 30_000);
      const ended = await active.waitFor('the ride-through to end', (line) => line.type === 'ride' && line.ride === 'ended', 30_000);
      await watchFor(active, TTL_MS);
      await observer.flush();
      expect(active.lines.filter((line) => line.type === 'lost')).toEqual([]);
      expect(active.lines.filter((line) => line.type === 'acquired')).toHaveLength(1);
      expect(standby.lines.some((line) => line.type === 'acquired')).toBe(false);
      // It acted past the deadline its last renewal before the kill gave it, with the same epoch.
      expect(ended.seenAt - killedAt).toBeGreaterThan(TTL_MS);
      expect(rode.seenAt).toBeLessThan(ended.seenAt);
      expect(received.some((message) => message.at > killedAt + TTL_MS && message.at < ended.seenAt && message.holder === active.spec.holder)).toBe(true);
      expect(received.every((message) => message.admitted && message.epoch === epoch && message.holder === active.spec.holder)).toBe(true);
      expect(fence.current('leader')).toBe(epoch);
    } finally {
      await victim.restart();
      await cluster.waitForJetStream();
    }
  });
});

describe('the lease on a thread of its own (ThreadedLease, as an HA lead runs it)', () => {
  /** Busy for `ms` on this thread: a stand-in for a verification burst that stalls the lead's event loop. */
  const stall = (ms: number): void => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // spin
    }
  };

  it('renews through a main-thread stall longer than the TTL but shorter than stall_ms, and not through a longer one', async () => {
    const ttlMs = 1_000;
    const stallMs = 1_500;
    const bucket = 'mesh_leases_thread'; // its own TTL: an existing bucket's wins
    const events: LeaseEvent[] = [];
    const lease = new ThreadedLease(
      { logger: silentLogger(), alive: () => true },
      {
        nats: { servers: cluster.urls, name: 'thread-test', reconnectWaitMs: 50 },
        lease: { bucket, key: 'thread', ttlMs, rideThroughMs: 0, replicas: 3, holder: 'lead-t' },
        stallMs,
        log: { level: 'silent', leadId: 'lead-t', clusterId: 'thread' },
      },
      { opened: () => undefined, openFailed: () => undefined, change: (event) => events.push(event) },
    );
    try {
      lease.start();
      const acquired = await waitFor('the lease thread to take the lease', START_MS, () => events.find((event) => event.type === 'acquired'));
      const kv = await observer.jetstream().views.kv(bucket, { bindOnly: true });
      const revision = async (): Promise<number> => (await kv.get('thread'))?.revision ?? 0;

      const before = await revision();
      stall(ttlMs + 200);
      // Past the TTL with this thread busy: the lease thread renewed meanwhile, so the lease holds.
      expect(lease.epoch()).toBe(acquired.epoch);
      expect(await revision()).toBeGreaterThan(before);
      expect(events.filter((event) => event.type === 'lost')).toEqual([]);

      stall(stallMs + ttlMs + 300);
      // A stall past stall_ms: the thread stopped renewing for a lead that showed no sign of life,
      // and this thread's first look at the clock, before any I/O, says so.
      expect(lease.epoch()).toBeNull();
      expect(events.at(-1)).toMatchObject({ type: 'lost', reason: 'expired', epoch: acquired.epoch });
    } finally {
      await lease.stop({ release: true });
    }
  });
});

describe('a lease bucket deleted and created again', () => {
  it('gives the next holder an epoch above the last one, though the bucket\'s revisions start over', async () => {
    const bucket = 'mesh_leases_recreated';
    const { received, fence } = await watchActions('test.ha.recreated', 'recreated');
    const first = await InProcessHolder.start({ ...spec('recreated', 'lead-a'), bucket });
    holders.push(first);
    const before = (await first.acquired(START_MS)).epoch!;
    await waitFor('an action of the first holder', TTL_MS, () => received.find((message) => message.holder === 'lead-a'));
    await first.kill();
    const jsm = await observer.jetstreamManager();
    await jsm.streams.delete(`KV_${bucket}`);

    const second = await InProcessHolder.start({ ...spec('recreated', 'lead-b'), bucket });
    holders.push(second);
    const took = await second.acquired(START_MS);
    // The new bucket's revisions are back near the start: the epoch is not its revision.
    expect((await jsm.streams.info(`KV_${bucket}`)).state.last_seq).toBeLessThanOrEqual(before);
    expect(took.epoch).toBeGreaterThan(before);
    await waitFor('an action of the new holder', TTL_MS, () => received.find((message) => message.holder === 'lead-b'));
    await observer.flush();
    expect(received.filter((message) => message.holder === 'lead-b').every((message) => message.admitted)).toBe(true);
    expect(fence.current('recreated')).toBe(took.epoch);
  });
});

/** The server name of the lease bucket's stream leader. */
async function streamLeader(): Promise<string> {
  const info = await (await observer.jetstreamManager()).streams.info(`KV_${BUCKET}`);
  const leader = info.cluster?.leader;
  if (leader === undefined) throw new Error('the lease stream has no leader');
  return leader;
}
