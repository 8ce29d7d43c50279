import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { connect, type NatsConnection } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from './nats-server.js';
import { LOOPBACK, canConnect } from './ports.js';

const SERVICE = 'harness.echo';
const TIMEOUT_MS = 5_000;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function nats(options?: Parameters<typeof startNats>[0]): Promise<NatsServer> {
  const server = await startNats(options);
  cleanups.push(() => server.dispose());
  return server;
}

async function client(url: string): Promise<NatsConnection> {
  const connection = await connect({ servers: url, reconnect: false, timeout: TIMEOUT_MS });
  cleanups.push(() => connection.close());
  return connection;
}

/** A responder that answers every request on SERVICE with "echo:<payload>". */
async function serveEcho(url: string): Promise<void> {
  const responder = await client(url);
  responder.subscribe(SERVICE, {
    callback: (error, message) => {
      if (error === null) message.respond(`echo:${message.string()}`);
    },
  });
  await responder.flush();
}

async function request(connection: NatsConnection, subject: string, body = ''): Promise<string> {
  return (await connection.request(subject, body, { timeout: TIMEOUT_MS })).string();
}

async function jsApi(connection: NatsConnection, subject: string, body = ''): Promise<Record<string, unknown>> {
  return JSON.parse(await request(connection, `$JS.API.${subject}`, body)) as Record<string, unknown>;
}

describe('startNats', () => {
  it('serves request/reply on a private loopback port', async () => {
    const server = await nats();
    expect(server.url).toBe(`nats://${LOOPBACK}:${server.port}`);
    expect(server.port).not.toBe(4222);
    expect(server.running).toBe(true);

    await serveEcho(server.url);
    const requester = await client(server.url);
    expect(requester.info?.port).toBe(server.port);
    expect(await request(requester, SERVICE, 'hello')).toBe('echo:hello');
  });

  it('kill() makes the port refuse connections and restart() brings it back on the same port', async () => {
    const server = await nats();
    const { port } = server;
    const before = await client(server.url);

    await server.kill();
    expect(server.running).toBe(false);
    // With reconnect off, losing the server closes the client (closed() is the event for it).
    await before.closed();
    expect(before.isClosed()).toBe(true);
    await expect(before.flush()).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(await canConnect(port)).toBe(false);

    await server.restart();
    expect(server.port).toBe(port);
    expect(server.running).toBe(true);
    await serveEcho(server.url);
    const after = await client(server.url);
    expect(await request(after, SERVICE, 'again')).toBe('echo:again');
  });

  it('stop() is graceful and idempotent', async () => {
    const server = await nats();
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    expect(server.running).toBe(false);
    expect(await canConnect(server.port)).toBe(false);
    expect(server.logTail().some((line) => line.includes('Server is ready'))).toBe(true);
  });

  it('enables JetStream with a store that survives a crash and restart', async () => {
    const server = await nats({ jetstream: true });
    expect(server.storeDir).toBeDefined();
    const first = await client(server.url);
    const info = await jsApi(first, 'INFO');
    expect(info['type']).toBe('io.nats.jetstream.api.v1.account_info_response');
    const created = await jsApi(first, 'STREAM.CREATE.HARNESS', JSON.stringify({ name: 'HARNESS', subjects: ['harness.>'], storage: 'file' }));
    expect(created['error']).toBeUndefined();

    await server.kill();
    await server.restart();
    const second = await client(server.url);
    const stream = await jsApi(second, 'STREAM.INFO.HARNESS');
    expect(stream['error']).toBeUndefined();
    expect(stream['config']).toMatchObject({ name: 'HARNESS' });

    const storeDir = server.storeDir!;
    await server.dispose();
    expect(existsSync(storeDir)).toBe(false);
    await expect(server.restart()).rejects.toMatchObject({ code: 'NATS_DISPOSED' });
  });

  it('fails with the server log when its port is taken', async () => {
    const squatter = createServer();
    squatter.listen({ host: LOOPBACK, port: 0 });
    await once(squatter, 'listening');
    cleanups.push(async () => {
      squatter.close();
      await once(squatter, 'close');
    });
    const address = squatter.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;

    const failure = startNats({ port });
    await expect(failure).rejects.toMatchObject({ code: 'NATS_PORT_IN_USE' });
    await expect(failure).rejects.toThrow(/address already in use/);
  });
});
