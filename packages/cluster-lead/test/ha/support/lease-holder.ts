// A lead-shaped process for lease tests: it competes for one lease and, while it holds it,
// "acts" every few ms by publishing a message stamped with its epoch. Lease events go to stdout
// as JSON lines. Killed (-9), paused (SIGSTOP) and resumed by the test.
import { connect } from 'nats';
import { openHolderKeeper } from './holder-keeper.js';

const [servers, bucket, key, holder, ttl, rideThrough, replicas, subject] = process.argv.slice(2);
const ACT_EVERY_MS = 20;

function say(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...line, holder })}\n`);
}

const nc = await connect({ servers: servers!.split(','), reconnectTimeWait: 50, maxReconnectAttempts: -1, pingInterval: 1_000 });
const keeper = await openHolderKeeper(nc, { servers: servers!.split(','), bucket: bucket!, key: key!, holder: holder!, ttlMs: Number(ttl), rideThroughMs: Number(rideThrough), replicas: Number(replicas), subject: subject! });
let published = 0;
keeper.onChange((event) => say({ ...event, published }));
keeper.onRide((event) => say({ type: 'ride', ride: event.type, published }));
keeper.onAcknowledged((by) => say({ type: 'acknowledged', epoch: by.epoch, published }));
keeper.start();
setInterval(() => {
  const epoch = keeper.epoch();
  if (epoch === null) return;
  published += 1;
  nc.publish(subject!, JSON.stringify({ holder, epoch, seq: published }));
}, ACT_EVERY_MS);
say({ type: 'started' });
process.once('SIGTERM', () => {
  void keeper.stop({ release: true }).then(() => nc.drain()).then(() => process.exit(0));
});
