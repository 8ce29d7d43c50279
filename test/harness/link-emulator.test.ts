import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as connectNats, type NatsConnection } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { startLink, type Link, type LinkOptions } from './link-emulator.js';
import type { LinkProfile } from './link-profile.js';
import { startNats } from './nats-server.js';
import { summarize } from './percentiles.js';
import { LOOPBACK, freePort } from './ports.js';
import { startTcpEcho, type TcpEcho } from './tcp-echo.js';

// The machine is shared and has two cores: medians get a few ms of slack, minimums get none
// (the link must never deliver early), and maximums are not asserted.
const MEDIAN_SLACK_MS = 6;
const NATS_TIMEOUT_MS = 5_000;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function defer(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

async function echoServer(): Promise<TcpEcho> {
  const echo = await startTcpEcho();
  defer(() => echo.close());
  return echo;
}

async function link(options: LinkOptions): Promise<Link> {
  const started = await startLink(options);
  defer(() => started.close());
  return started;
}

async function dial(port: number): Promise<Socket> {
  const socket = connect({ host: LOOPBACK, port, noDelay: true });
  defer(async () => {
    socket.destroy();
    await Promise.resolve();
  });
  await once(socket, 'connect');
  return socket;
}

/** One byte out, one byte back: the time an echo takes through the link. */
async function roundTrip(socket: Socket): Promise<number> {
  const start = performance.now();
  const echoed = once(socket, 'data');
  socket.write('p');
  await echoed;
  return performance.now() - start;
}

async function roundTrips(socket: Socket, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await roundTrip(socket));
  return samples;
}

async function natsClient(url: string): Promise<NatsConnection> {
  const connection = await connectNats({ servers: url, reconnect: false, timeout: NATS_TIMEOUT_MS });
  defer(() => connection.close());
  return connection;
}

async function echoLink(up: LinkProfile, down: LinkProfile): Promise<{ link: Link; socket: Socket }> {
  const echo = await echoServer();
  const started = await link({ target: echo, up, down });
  return { link: started, socket: await dial(started.port) };
}

/** Waits, turn by turn of the event loop, for a condition that no event announces. */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function expectDelay(samples: readonly number[], expectedMs: number): void {
  const summary = summarize(samples);
  expect(summary.min).toBeGreaterThanOrEqual(expectedMs);
  expect(summary.p50).toBeLessThan(expectedMs + MEDIAN_SLACK_MS);
}

describe('startLink', () => {
  it('adds the configured round trip: up 20 ms + down 30 ms', async () => {
    const { socket } = await echoLink({ baseMs: 20 }, { baseMs: 30 });
    expectDelay(await roundTrips(socket, 60), 50);
  });

  it('delays each direction by its own amount', async () => {
    const server = createServer({ noDelay: true });
    server.listen({ host: LOOPBACK, port: 0 });
    await once(server, 'listening');
    defer(async () => {
      server.close();
      await once(server, 'close');
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const emulated = await link({ target: { host: LOOPBACK, port }, up: { baseMs: 10 }, down: { baseMs: 35 } });
    const client = await dial(emulated.port);
    const [far] = await accepted;
    defer(async () => {
      far.destroy();
      await Promise.resolve();
    });

    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < 40; i++) {
      let start = performance.now();
      const arrived = once(far, 'data');
      client.write('u');
      await arrived;
      up.push(performance.now() - start);

      start = performance.now();
      const returned = once(client, 'data');
      far.write('d');
      await returned;
      down.push(performance.now() - start);
    }
    expectDelay(up, 10);
    expectDelay(down, 35);
  });

  it('delivers every byte in order under heavy jitter, then propagates end', async () => {
    const { link: emulated, socket } = await echoLink(
      { baseMs: 2, jitterMs: 20, jitter: 'heavy-tail' },
      { baseMs: 2, jitterMs: 20, jitter: 'uniform' },
    );
    const rounds = 200;
    const perRound = 25;
    const expected = Buffer.alloc(rounds * perRound * 4);
    for (let i = 0; i < rounds * perRound; i++) expected.writeUInt32BE(i, i * 4);

    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = once(socket, 'end');
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < perRound; i++) {
        const offset = (round * perRound + i) * 4;
        socket.write(expected.subarray(offset, offset + 4));
      }
      // Yield so the writes reach the link as many separate chunks with separate delays.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    socket.end();
    await ended;

    expect(Buffer.concat(received).equals(expected)).toBe(true);
    const stats = emulated.stats();
    expect(stats.up.bytes).toBe(expected.length);
    expect(stats.down.bytes).toBe(expected.length);
    expect(stats.up.chunks).toBeGreaterThan(rounds / 2);
    expect(stats.up.queuedBytes).toBe(0);
    expect(stats.down.queuedBytes).toBe(0);
  });

  it('delays about lossRate of chunks by retransmitMs', async () => {
    const retransmitMs = 100;
    const { link: emulated, socket } = await echoLink({ baseMs: 5, lossRate: 0.25, retransmitMs }, { baseMs: 5 });
    const samples = await roundTrips(socket, 80);

    // A lost ping takes at least 110 ms and a normal one about 10 ms; splitting halfway
    // leaves 50 ms for scheduling noise before a normal ping could be counted as lost.
    const isSlow = (sample: number): boolean => sample > 10 + retransmitMs / 2;
    const slow = samples.filter(isSlow);
    const { up, down } = emulated.stats();
    expect(up.chunks).toBe(80);
    expect(down.lostChunks).toBe(0);
    expect(slow.length).toBeGreaterThanOrEqual(up.lostChunks);
    expect(slow.length).toBeLessThanOrEqual(up.lostChunks + 2);
    expect(up.lostChunks / up.chunks).toBeGreaterThan(0.1);
    expect(up.lostChunks / up.chunks).toBeLessThan(0.45);
    // The lost pings are the slowest ones, and each paid the full retransmission.
    const byDuration = [...samples].sort((a, b) => b - a);
    expectDelay(byDuration.slice(0, up.lostChunks), 10 + retransmitMs);
    expectDelay(byDuration.slice(up.lostChunks), 10);
  });

  it('setProfile changes the delay of traffic sent after the change', async () => {
    const { link: emulated, socket } = await echoLink({ baseMs: 5 }, { baseMs: 5 });
    expectDelay(await roundTrips(socket, 20), 10);

    emulated.setProfile('both', { baseMs: 25 });
    expectDelay(await roundTrips(socket, 20), 50);

    emulated.setProfile('down', { baseMs: 0 });
    expect(emulated.profile('up')).toEqual({ baseMs: 25 });
    expectDelay(await roundTrips(socket, 20), 25);
    expect(() => emulated.setProfile('up', { baseMs: -5 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_PROFILE' }),
    );
  });

  it('never reorders bytes already in flight when the delay drops', async () => {
    const { link: emulated, socket } = await echoLink({ baseMs: 80 }, { baseMs: 0 });
    const received: string[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk.toString()));
    const start = performance.now();
    const firstBack = once(socket, 'data');
    socket.write('a');
    await until(() => emulated.stats().up.chunks === 1);
    emulated.setProfile('up', { baseMs: 0 });
    socket.write('b');
    await firstBack;
    expect(performance.now() - start).toBeGreaterThanOrEqual(80);
    expect(received[0]?.startsWith('a')).toBe(true);
    if (received.join('') !== 'ab') await once(socket, 'data');
    expect(received.join('')).toBe('ab');
  });

  it('carries NATS request/reply and the reply takes at least the RTT', async () => {
    const nats = await startNats();
    defer(() => nats.dispose());
    const emulated = await link({ target: { host: nats.host, port: nats.port }, up: { baseMs: 15 }, down: { baseMs: 15 } });

    const responder = await natsClient(nats.url);
    responder.subscribe('via.link', {
      callback: (error, message) => {
        if (error === null) message.respond(message.data);
      },
    });
    await responder.flush();

    const connectStart = performance.now();
    const requester = await natsClient(emulated.url('nats'));
    // nats.js resolves connect() only after the handshake's PONG: INFO comes down, CONNECT+PING
    // go up, PONG comes down. Three one-way trips of 15 ms (the TCP handshake is not delayed).
    expect(performance.now() - connectStart).toBeGreaterThanOrEqual(45);

    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      const start = performance.now();
      const reply = await requester.request('via.link', `n${i}`, { timeout: NATS_TIMEOUT_MS });
      samples.push(performance.now() - start);
      expect(reply.string()).toBe(`n${i}`);
    }
    expectDelay(samples, 30);
    expect(emulated.stats().connections).toEqual({ opened: 1, open: 1 });
  });

  it('drops the client when the target refuses the connection', async () => {
    const emulated = await link({ target: { host: LOOPBACK, port: await freePort() }, up: { baseMs: 1 }, down: { baseMs: 1 } });
    const socket = await dial(emulated.port);
    socket.on('error', () => undefined);
    await once(socket, 'close');
    expect(emulated.stats().connections).toEqual({ opened: 1, open: 0 });
  });

  it('close() destroys open connections', async () => {
    const { link: emulated, socket } = await echoLink({ baseMs: 1 }, { baseMs: 1 });
    await roundTrip(socket);
    socket.on('error', () => undefined);
    const closed = once(socket, 'close');
    await emulated.close();
    await closed;
    expect(emulated.stats().connections.open).toBe(0);
    await expect(emulated.close()).resolves.toBeUndefined();
  });
});
