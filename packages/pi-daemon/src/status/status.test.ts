import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { decodeThrottled } from '@mesh30k/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/harness/index.js';
import { StatusError, fetchStatus, formatStatus, startStatusServer } from './index.js';
import type { AgentStatus, StatusServer } from './index.js';

const NOW = 1_700_000_000_000;

function sample(overrides: Partial<AgentStatus> = {}): AgentStatus {
  return {
    agent_id: 'pi-07',
    lead_id: 'lead-1',
    cluster_id: 'c1',
    version: '0.1.0',
    connected: true,
    frozen: false,
    uptime_s: 3 * 3600 + 12 * 60,
    heartbeat: { last_at: NOW - 2_000, last_result: 'ok', interval_ms: 5_000 },
    clock: { offset_ms: -12.34, delay_ms: 4.1, confidence: 0.92 },
    outbox: { depth: 3, dropped: 1, oldest_queued_at: NOW - 300_000, dead_letters: 0, dead_letters_total: 0 },
    queue: { depth: 2, max_depth: 256 },
    health: {
      cpu_load_pct: 12.4,
      temperature_c: 48.5,
      memory_used_pct: 35,
      disk_used_pct: 40.2,
      throttle: decodeThrottled(0x50005),
      uptime_s: 5 * 86_400 + 3 * 3600,
      ntp_synchronized: true,
    },
    ...overrides,
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function serve(provider: () => AgentStatus): Promise<StatusServer> {
  const server = await startStatusServer({ host: '127.0.0.1', port: 0, provider });
  cleanup.push(() => server.close());
  return server;
}

async function failure(promise: Promise<unknown>): Promise<StatusError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof StatusError) return error;
  throw new Error(`expected a StatusError, got ${String(error)}`);
}

function listenRaw(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('status server and client', () => {
  it('serves the provider’s current status, fresh on each request', async () => {
    let depth = 0;
    const server = await serve(() => sample({ queue: { depth: depth++, max_depth: 256 } }));
    expect(server.port).toBeGreaterThan(0);
    const first = await fetchStatus('127.0.0.1', server.port, 2_000);
    const second = await fetchStatus('127.0.0.1', server.port, 2_000);
    expect(first).toEqual(sample({ queue: { depth: 0, max_depth: 256 } }));
    expect(second.queue.depth).toBe(1);
  });

  it('answers problems as problem+json: unknown path, wrong method, failing provider', async () => {
    const server = await serve(() => {
      throw new Error('core not ready');
    });
    const base = `http://127.0.0.1:${server.port}`;
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    const post = await fetch(`${base}/status`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const broken = await fetch(`${base}/status`);
    expect(broken.status).toBe(500);
    expect(await broken.json()).toMatchObject({ status: 500, title: 'Internal Server Error' });
    const error = await failure(fetchStatus('127.0.0.1', server.port, 2_000));
    expect(error.code).toBe('STATUS_BAD_RESPONSE');
    expect(error.message).toMatch(/answered 500/);
  });

  it('serves /metrics from its exposition, HEAD without a body, and a failing one as a 500 problem', async () => {
    let fail = false;
    const metrics = { contentType: 'text/plain; version=0.0.4; charset=utf-8', metrics: () => (fail ? Promise.reject(new Error('collector broke')) : Promise.resolve('x_total 1\n')) };
    const server = await startStatusServer({ host: '127.0.0.1', port: 0, provider: () => sample(), metrics });
    cleanup.push(() => server.close());
    const base = `http://127.0.0.1:${server.port}/metrics`;
    const ok = await fetch(base);
    expect(ok.headers.get('content-type')).toBe(metrics.contentType);
    expect(await ok.text()).toBe('x_total 1\n');
    const head = await fetch(base, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    fail = true;
    const broken = await fetch(base);
    expect(broken.status).toBe(500);
    expect(await broken.json()).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  it('answers HEAD like GET, and marks every answer no-store, nosniff, with the request id', async () => {
    const server = await serve(() => sample());
    const base = `http://127.0.0.1:${server.port}`;
    const get = await fetch(`${base}/status`);
    const length = Buffer.byteLength(await get.text());
    const head = await fetch(`${base}/status`, { method: 'HEAD', headers: { 'x-request-id': 'rid-head' } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(length));
    expect(head.headers.get('x-request-id')).toBe('rid-head');
    expect(await head.text()).toBe('');
    for (const [path, method, status] of [['/status', 'GET', 200], ['/nope', 'HEAD', 404], ['/status', 'DELETE', 405]] as const) {
      const res = await fetch(`${base}${path}`, { method, headers: { 'x-request-id': `rid-${status}` } });
      expect(res.status).toBe(status);
      expect(res.headers.get('x-request-id')).toBe(`rid-${status}`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await fetch(`${base}/status`, { headers: { 'x-request-id': 'bad id!' } })).headers.get('x-request-id')).toMatch(/^r-[0-9a-f]{16}$/);
  });

  it('refuses to start on a port that is taken', async () => {
    const server = await serve(() => sample());
    await expect(startStatusServer({ host: '127.0.0.1', port: server.port, provider: () => sample() })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('tells unreachable, slow and wrong answers apart', async () => {
    const closedPort = await freePort();
    expect((await failure(fetchStatus('127.0.0.1', closedPort, 1_000))).code).toBe('STATUS_UNREACHABLE');

    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => void sockets.push(socket)); // accepts, never answers
    const silentPort = await listenRaw(silent);
    cleanup.push(
      () =>
        new Promise((done) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => done());
        }),
    );
    const slow = await failure(fetchStatus('127.0.0.1', silentPort, 200));
    expect(slow.code).toBe('STATUS_TIMEOUT');

    const wrong = createHttpServer((_req, res) => res.end(JSON.stringify({ agent_id: 'pi-07' })));
    const wrongPort = await listenRaw(wrong);
    cleanup.push(() => new Promise((done) => wrong.close(() => done())));
    const bad = await failure(fetchStatus('127.0.0.1', wrongPort, 1_000));
    expect(bad.code).toBe('STATUS_BAD_RESPONSE');
    expect(bad.message).toMatch(/unexpected status: lead_id/);
  });
});

describe('formatStatus', () => {
  it('summarises an agent in a few lines', () => {
    expect(formatStatus(sample(), NOW)).toBe(
      [
        'agent pi-07 (cluster c1, lead lead-1) v0.1.0: connected, up 3h 12m',
        'heartbeat: ok 2s ago (every 5s)',
        'clock: offset -12.3 ms, delay 4.1 ms, confidence 0.92',
        'work: queue 2/256, outbox 3 waiting (oldest 5m 0s ago), 1 dropped',
        'host: 48.5 °C, cpu 12%, mem 35%, disk 40%, ntp synced, up 5d 3h',
        'throttling: under-voltage, throttled now; since boot: under-voltage, throttled',
        '',
      ].join('\n'),
    );
  });

  it('shows what is unknown, disconnected and frozen', () => {
    const text = formatStatus(
      sample({
        connected: false,
        frozen: true,
        heartbeat: { last_at: null, last_result: null, interval_ms: 5_000 },
        clock: { offset_ms: null, delay_ms: null, confidence: null },
        outbox: { depth: 0, dropped: 0, oldest_queued_at: null, dead_letters: 0, dead_letters_total: 0 },
        health: { cpu_load_pct: null, temperature_c: null, memory_used_pct: null, disk_used_pct: null, throttle: decodeThrottled(0), uptime_s: null, ntp_synchronized: false },
      }),
      NOW,
    );
    expect(text).toContain(': DISCONNECTED, up');
    expect(text).toContain('heartbeat: none yet');
    expect(text).toContain('clock: offset ?, delay ?, confidence ?');
    expect(text).toContain('work: queue 2/256, outbox 0 waiting, 0 dropped');
    expect(text).toContain('host: ? °C, cpu ?, mem ?, disk ?, NTP NOT SYNCED\n');
    expect(text).toContain('throttling: none since boot');
    expect(text.trimEnd().split('\n').at(-1)).toBe('FROZEN by the lead: no new work is accepted');
  });
});
