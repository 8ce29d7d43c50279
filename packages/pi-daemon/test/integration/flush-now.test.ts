// NatsSupervisor.flushNow: what the client buffered reaches nats-server while this thread is
// still busy (a simulation's release pass sends its agents' ACKs and keeps going). The
// subscriber runs in a worker thread, so it can receive while the test's own thread is blocked.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { captureLogger } from '../support/log-capture.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A subscriber in its own thread: sets the shared cell to 1 when `subject` has a message. */
async function subscriberThread(url: string, subject: string): Promise<Int32Array> {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `
    const { workerData, parentPort } = require('node:worker_threads');
    const { connect } = require('nats');
    (async () => {
      const nc = await connect({ servers: workerData.url });
      const cell = new Int32Array(workerData.buffer);
      nc.subscribe(workerData.subject, { callback: () => { Atomics.store(cell, 0, 1); Atomics.notify(cell, 0); } });
      await nc.flush();
      parentPort.postMessage('subscribed');
    })();
    `,
    { eval: true, workerData: { url, subject, buffer: cell.buffer } },
  );
  cleanups.push(() => worker.terminate());
  await once(worker, 'message');
  return cell;
}

async function connectedSupervisor(server: NatsServer): Promise<NatsSupervisor> {
  const { logger } = captureLogger('warn');
  const supervisor = new NatsSupervisor({ servers: [server.url], name: 'flush-now' }, { logger });
  cleanups.push(() => supervisor.stop());
  supervisor.start();
  await supervisor.whenConnected();
  return supervisor;
}

describe('NatsSupervisor.flushNow', () => {
  it('writes a publish to the server before the thread yields; without it the publish waits for the turn to end', async () => {
    const server = await startNats();
    cleanups.push(() => server.dispose());
    const supervisor = await connectedSupervisor(server);
    const flushed = await subscriberThread(server.url, 'flush.now.a');
    const waiting = await subscriberThread(server.url, 'flush.now.b');

    supervisor.publish('flush.now.a', new Uint8Array([1]));
    supervisor.flushNow();
    // This thread stays blocked here: only bytes already written can reach the subscriber.
    expect(Atomics.wait(flushed, 0, 0, 20_000)).not.toBe('timed-out');

    supervisor.publish('flush.now.b', new Uint8Array([2]));
    // Not flushed: the client writes at the end of this turn, so however long the thread is
    // blocked, nothing arrives meanwhile...
    expect(Atomics.wait(waiting, 0, 0, 300)).toBe('timed-out');
    // ...and it does arrive once the turn is over.
    await new Promise((resolve) => setImmediate(resolve));
    expect(Atomics.wait(waiting, 0, 0, 20_000)).not.toBe('timed-out');
  });

  it('is harmless when not connected', () => {
    const { logger } = captureLogger('warn');
    const supervisor = new NatsSupervisor({ servers: ['nats://127.0.0.1:1'], name: 'flush-now-idle' }, { logger });
    expect(() => supervisor.flushNow()).not.toThrow();
  });
});
