/**
 * The lease thread of an HA lead (threaded-lease.ts starts it): its own NATS connection, the
 * lease bucket, a LeaseKeeper and a watch on the lease key. No ingest, verification or API work
 * runs on this thread's event loop, so a busy main thread cannot make a renewal late. It renews
 * or takes the lease only while the main thread's beat on the board is recent (`stallMs`): a
 * main thread that stalls for longer is not kept in office. The lease's deadline goes on the
 * board for the main thread's synchronous `epoch()` check.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { subjects } from '@mesh30k/shared';
import { Events, connect, type NatsConnection } from 'nats';
import { createLogger } from '../lib/logger.js';
import { natsConnectionOptions } from '../nats/nats-link.js';
import { openKvLeaseStore } from './kv-lease-store.js';
import { LeaseBoard, monotonicMs } from './lease-board.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { LeaseStore } from './lease-store.js';
import type { FromLeaseThread, LeaseThreadData, ToLeaseThread } from './lease-thread-protocol.js';
import { NatsWitnessLink } from './nats-witness-link.js';
import { OpenBackoff } from './open-backoff.js';

const port = parentPort;
if (port === null) throw new Error('lease-worker must run in a worker thread');
const data = workerData as LeaseThreadData;
const board = new LeaseBoard(data.board);
const log = createLogger({ level: data.log.level, leadId: data.log.leadId, clusterId: data.log.clusterId }).child({ domain: 'ha', thread: 'lease' });
const tell = (message: FromLeaseThread): void => port.postMessage(message);

let keeper: LeaseKeeper | undefined;
let stopWatch: (() => void) | undefined;
let witnesses: NatsWitnessLink | undefined;
let opening = false;
let stopping = false;
let retry: NodeJS.Timeout | undefined;
const backoff = new OpenBackoff({ capMs: Math.max(1_000, data.lease.ttlMs), random: Math.random });
const ownerAlive = (): boolean => monotonicMs() - board.lastBeat() <= data.stallMs;

const nc: NatsConnection = await connect({ ...(await natsConnectionOptions({ ...data.nats, name: `${data.nats.name}-lease` })), waitOnFirstConnect: true });

function startKeeping(store: LeaseStore): void {
  // Core NATS between the leads of the group: it still routes while the lease stream has no leader.
  witnesses = new NatsWitnessLink(
    nc,
    { key: data.lease.key, witnessSubject: subjects.leaseWitness(data.log.leadId), presenceSubject: subjects.leasePresence(data.log.leadId), inboxPrefix: data.nats.inboxPrefix, presenceTimeoutMs: Math.max(50, Math.floor(store.ttlMs / 8)) },
    log,
  );
  const made = new LeaseKeeper({ store, now: monotonicMs, logger: log, ownerAlive, epochFloor: () => board.epochFloor(), witnesses }, { holder: data.lease.holder });
  keeper = made;
  witnesses.serve(made);
  made.onHeld((lease) => board.hold(lease));
  made.onRide((event) => tell({ type: 'ride', ride: event.type === 'extended' && !event.first ? 'extended-again' : event.type }));
  made.onChange((event) => {
    if (event.type === 'acquired') {
      tell({ type: 'acquired', epoch: event.epoch });
      return;
    }
    // The board first: the main thread's next epoch() says no even before it reads this message.
    board.lose(event.reason);
    tell({ type: 'lost', epoch: event.epoch, reason: event.reason });
    // One lease per process: the main thread exits on a loss, this thread takes nothing again.
    if (event.reason !== 'released') void made.stop({ release: false });
  });
  made.start();
  store
    .watch?.((seen) => {
      made.observe(seen);
      made.wake();
    })
    .then((stop) => (stopWatch = stop))
    .catch((error: unknown) => log.warn({ err: error }, 'could not watch the lease key; reading it every check instead'));
}

async function open(): Promise<void> {
  retry = undefined;
  if (keeper !== undefined || opening || stopping) return;
  opening = true;
  try {
    const store = await openKvLeaseStore(nc, data.lease);
    opening = false;
    if (stopping) return;
    tell({ type: 'opened', ttlMs: store.ttlMs, maxAgeMs: store.maxAgeMs, failedAttempts: backoff.attempts });
    backoff.reset();
    startKeeping(store);
  } catch (error) {
    opening = false;
    if (stopping) return;
    const retryInMs = backoff.failed();
    tell({ type: 'open-failed', error: error instanceof Error ? error.message : String(error), attempt: backoff.attempts, retryInMs });
    retry = setTimeout(() => void open(), retryInMs);
  }
}

// A new connection is worth a try at once rather than at the end of a long backoff.
void (async () => {
  for await (const status of nc.status()) {
    if (status.type === Events.Reconnect && keeper === undefined && !opening) {
      clearTimeout(retry);
      void open();
    }
  }
})();

port.on('message', (message: ToLeaseThread) => {
  if (message.type !== 'stop' || stopping) return;
  stopping = true;
  clearTimeout(retry);
  stopWatch?.();
  void (async () => {
    try {
      await keeper?.stop({ release: message.release });
      witnesses?.close();
      await nc.drain();
    } catch (error) {
      log.warn({ err: error }, 'lease thread: stop did not finish cleanly');
    }
    tell({ type: 'stopped' });
    port.close();
  })();
});

void open();
