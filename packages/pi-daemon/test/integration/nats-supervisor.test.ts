import { connect, type NatsConnection } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startNats, type NatsServer } from '../../../../test/harness/index.js';
import type { BusMessage } from '../../src/nats/bus.js';
import { BusError } from '../../src/nats/errors.js';
import type { ConnectionEvent } from '../../src/nats/events.js';
import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { captureLogger } from '../support/log-capture.js';

const FAST = { minMs: 50, maxMs: 200, jitterMs: 20 };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function supervisorFor(url: string, connectFn?: (o: Parameters<typeof connect>[0]) => Promise<NatsConnection>) {
  const { logger } = captureLogger('warn');
  const events: ConnectionEvent[] = [];
  const supervisor = new NatsSupervisor({ servers: [url], name: 'test', backoff: FAST, pingIntervalMs: 1_000 }, { logger, ...(connectFn ? { connect: connectFn } : {}) });
  supervisor.onEvent((event) => events.push(event));
  cleanups.push(() => supervisor.stop());
  return { supervisor, events };
}

function nextEvent(supervisor: NatsSupervisor, type: ConnectionEvent['type']): Promise<ConnectionEvent> {
  return new Promise((resolve) => {
    const off = supervisor.onEvent((event) => {
      if (event.type === type) {
        off();
        resolve(event);
      }
    });
  });
}

async function startServer(port?: number): Promise<NatsServer> {
  const server = await startNats(port === undefined ? {} : { port });
  cleanups.push(() => server.dispose());
  return server;
}

async function publisher(url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url });
  cleanups.push(() => nc.close());
  return nc;
}

function received(supervisor: NatsSupervisor, subject: string): { messages: BusMessage[]; next(): Promise<BusMessage> } {
  const messages: BusMessage[] = [];
  let waiter: ((m: BusMessage) => void) | undefined;
  supervisor.subscribe(subject, (message) => {
    messages.push(message);
    waiter?.(message);
  });
  return { messages, next: () => new Promise((resolve) => (waiter = resolve)) };
}

describe('NatsSupervisor', () => {
  it('keeps dialing when no server is up at boot, and subscriptions made meanwhile work once it is', async () => {
    const port = await freePort();
    const { supervisor, events } = supervisorFor(`nats://127.0.0.1:${port}`);
    const inbox = received(supervisor, 'boot.test');
    supervisor.start();
    expect(supervisor.connected).toBe(false);
    expect(() => supervisor.publish('boot.test', new Uint8Array([1]))).toThrow(BusError);
    const server = await startServer(port);
    await supervisor.whenConnected();
    expect(events.map((e) => e.type)).toContain('connecting');
    const nc = await publisher(server.url);
    const arriving = inbox.next();
    nc.publish('boot.test', new TextEncoder().encode('hi'));
    expect(new TextDecoder().decode((await arriving).data)).toBe('hi');
  });

  it('fails fast while disconnected instead of buffering, and resumes subscriptions after a reconnect', async () => {
    const server = await startServer();
    const { supervisor } = supervisorFor(server.url);
    const inbox = received(supervisor, 'outage.test');
    supervisor.start();
    await supervisor.whenConnected();
    const down = nextEvent(supervisor, 'disconnected');
    await server.kill();
    await down;
    const started = Date.now();
    await expect(supervisor.request('anything', new Uint8Array(), { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    expect(Date.now() - started).toBeLessThan(100);
    const up = nextEvent(supervisor, 'reconnected');
    await server.restart();
    await up;
    const nc = await publisher(server.url);
    const arriving = inbox.next();
    nc.publish('outage.test', new Uint8Array([7]));
    expect([...(await arriving).data]).toEqual([7]);
  });

  it('rebuilds the connection when the client closes it', async () => {
    const server = await startServer();
    const connections: NatsConnection[] = [];
    const { supervisor } = supervisorFor(server.url, async (options) => {
      const nc = await connect(options);
      connections.push(nc);
      return nc;
    });
    const inbox = received(supervisor, 'rebuild.test');
    supervisor.start();
    await supervisor.whenConnected();
    const rebuilt = nextEvent(supervisor, 'connected');
    const closed = nextEvent(supervisor, 'closed');
    await connections[0]!.close();
    await closed;
    await rebuilt;
    expect(connections).toHaveLength(2);
    const nc = await publisher(server.url);
    const arriving = inbox.next();
    nc.publish('rebuild.test', new Uint8Array([9]));
    expect([...(await arriving).data]).toEqual([9]);
  });

  it('maps request failures to codes: no responders, timeout', async () => {
    const server = await startServer();
    const { supervisor } = supervisorFor(server.url);
    supervisor.start();
    await supervisor.whenConnected();
    await expect(supervisor.request('nobody.here', new Uint8Array(), { timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'NO_RESPONDERS' });
    supervisor.subscribe('slow.here', () => undefined);
    await expect(supervisor.request('slow.here', new Uint8Array(), { timeoutMs: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('stops promptly even while still dialing a server that never comes', async () => {
    const port = await freePort();
    const { supervisor, events } = supervisorFor(`nats://127.0.0.1:${port}`);
    supervisor.start();
    const waiting = supervisor.whenConnected();
    const started = Date.now();
    await supervisor.stop();
    expect(Date.now() - started).toBeLessThan(500);
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
    expect(events.at(-1)?.type).toBe('stopped');
    expect(() => supervisor.publish('x', new Uint8Array())).toThrow(/stopping/);
  });

  it('drains on stop: a message published just before arrives', async () => {
    const server = await startServer();
    const nc = await publisher(server.url);
    const got = new Promise<Uint8Array>((resolve) => nc.subscribe('drain.test', { callback: (_e, m) => resolve(m.data) }));
    await nc.flush();
    const { supervisor } = supervisorFor(server.url);
    supervisor.start();
    await supervisor.whenConnected();
    supervisor.publish('drain.test', new Uint8Array([4, 2]));
    await supervisor.stop();
    expect([...(await got)]).toEqual([4, 2]);
  });
});
