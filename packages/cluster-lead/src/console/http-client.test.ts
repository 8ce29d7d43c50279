import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelayMs, retryAfterMs } from './backoff.js';
import { HttpClient, LeadUnreachableError } from './http-client.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (seen: Seen, res: ServerResponse) => void;

let server: Server | undefined;

/** A real HTTP server whose answers follow `script`, one entry per request; the last repeats. */
async function serve(script: Handler[]): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(entry);
      (script[Math.min(seen.length - 1, script.length - 1)] ?? (() => undefined))(entry, res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => (_seen, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

function client(url: string, sleeps: number[] = [], extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}): HttpClient {
  return new HttpClient({ baseUrl: url, sleep: (ms) => { sleeps.push(ms); return Promise.resolve(); }, random: () => 0.5, now: () => 0, ...extra });
}

describe('backoff', () => {
  it('doubles from 100 ms to a 10 s cap, within ±25%', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelayMs(n, () => 0.5))).toEqual([100, 200, 400, 800]);
    expect(backoffDelayMs(20, () => 0.5)).toBe(10_000);
    expect(backoffDelayMs(0, () => 0)).toBe(75);
    expect(backoffDelayMs(0, () => 0.999_999)).toBe(125);
  });

  it('reads Retry-After as seconds or a date, capped at 10 s', () => {
    expect(retryAfterMs('2', 0)).toBe(2000);
    expect(retryAfterMs('3600', 0)).toBe(10_000);
    expect(retryAfterMs(new Date(5000).toUTCString(), 0)).toBe(5000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(null, 0)).toBeUndefined();
  });
});

describe('HttpClient', () => {
  it('retries a GET on 503 with backoff and returns the answer that follows', async () => {
    const { url, seen } = await serve([json(503, { code: 'NOT_READY' }), json(503, {}), json(200, { ok: true })]);
    const sleeps: number[] = [];
    const res = await client(url, sleeps).get('/v1/status', { state: 'active', skip: undefined });
    expect(res).toMatchObject({ status: 200, body: { ok: true }, attempts: 3 });
    expect(sleeps).toEqual([100, 200]);
    expect(seen.map((s) => s.url)).toEqual(Array(3).fill('/v1/status?state=active'));
  });

  it('honours Retry-After on 429, and gives the last answer back after three attempts', async () => {
    const { url, seen } = await serve([json(429, { code: 'RATE_LIMITED' }, { 'retry-after': '2' })]);
    const sleeps: number[] = [];
    const res = await client(url, sleeps).get('/v1/agents');
    expect(res.status).toBe(429);
    expect(seen).toHaveLength(3);
    expect(sleeps).toEqual([2000, 2000]);
  });

  it('retries a write only when it carries an Idempotency-Key', async () => {
    const first = await serve([json(503, {})]);
    const res = await client(first.url).post('/v1/freeze', { scope: 'global' });
    expect(res.status).toBe(503);
    expect(first.seen).toHaveLength(1);
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    const second = await serve([json(503, {}), json(202, { operation_id: 'op-1' })]);
    const ok = await client(second.url).post('/v1/operations', { kind: 'ask' }, 'key-1');
    expect(ok).toMatchObject({ status: 202, attempts: 2 });
    expect(second.seen.map((s) => s.headers['idempotency-key'])).toEqual(['key-1', 'key-1']);
    expect(second.seen[0]!.body).toBe('{"kind":"ask"}');
  });

  it('asks again while the lead is still answering an earlier attempt with the same key', async () => {
    const { url, seen } = await serve([json(409, { code: 'IDEMPOTENCY_IN_PROGRESS' }, { 'retry-after': '1' }), json(202, { operation_id: 'op-1' })]);
    const sleeps: number[] = [];
    expect(await client(url, sleeps).post('/v1/heal', {}, 'k-1')).toMatchObject({ status: 202, attempts: 2 });
    expect(sleeps).toEqual([1000]);
    expect(seen).toHaveLength(2);
  });

  it('does not retry other errors', async () => {
    const conflict = await serve([json(409, { code: 'FROZEN' }), json(202, {})]);
    expect((await client(conflict.url).post('/v1/operations', {}, 'k-2')).status).toBe(409);
    expect(conflict.seen).toHaveLength(1);
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    const { url, seen } = await serve([json(500, {}), json(200, {})]);
    expect((await client(url).get('/v1/status')).status).toBe(500);
    expect(seen).toHaveLength(1);
  });

  it('signs every attempt afresh, over the exact path, query and body', async () => {
    const { url, seen } = await serve([json(503, {}), json(200, {})]);
    let n = 0;
    const signed: string[] = [];
    const c = client(url, [], {
      authorize: (input) => {
        signed.push(`${input.method} ${input.pathAndQuery} ${new TextDecoder().decode(input.body)}`);
        return Promise.resolve(`Test ${++n}`);
      },
    });
    await c.request('POST', '/v1/heal', { body: { target: 'auto' }, idempotencyKey: 'k', query: { dry: true } });
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Test 1', 'Test 2']);
    expect(signed).toEqual(['POST /v1/heal?dry=true {"target":"auto"}', 'POST /v1/heal?dry=true {"target":"auto"}']);
  });

  it('reports an unreachable lead after three attempts', async () => {
    const { url } = await serve([json(200, {})]);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const sleeps: number[] = [];
    const error = await client(url, sleeps).get('/v1/status').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeadUnreachableError);
    expect((error as LeadUnreachableError).code).toBe('UNREACHABLE');
    expect(sleeps).toHaveLength(2);
  });

  it('gives up on an attempt that takes longer than the timeout', async () => {
    const { url } = await serve([() => undefined]);
    const error = await client(url, [], { timeoutMs: 50 }).request('POST', '/v1/thaw', { body: {} }).catch((e: unknown) => e);
    expect((error as LeadUnreachableError).code).toBe('TIMEOUT');
    server?.closeAllConnections();
  });
});
