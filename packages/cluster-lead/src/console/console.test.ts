/**
 * The console's commands against a real HTTP server that answers in the shape of the API
 * contract (docs/api.md), so output, exit statuses and what is sent are checked end to end.
 * The real lead is exercised in test/integration/console-lead.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRequestSigningBytes, parseApiAuthorization } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, main, type ConsoleIo } from './index.js';

const NOW = 1_800_000_000_000;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Route = (seen: Seen, res: ServerResponse) => void;

let server: Server | undefined;
let routes: Record<string, Route> = {};
let seen: Seen[] = [];
let base = '';

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Route => (_s, res) => {
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(entry);
      const route = routes[`${entry.method} ${entry.url}`] ?? routes[`${entry.method} ${entry.url.split('?')[0]}`];
      (route ?? json(404, { code: 'NOT_FOUND', status: 404, detail: `no route for ${entry.method} ${entry.url}` }))(entry, res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server!.close(() => resolve()));
});
afterEach(() => {
  routes = {};
  seen = [];
});

interface Run {
  code: number;
  out: string;
  err: string;
  sleeps: number[];
}

async function mesh(argv: string[], env: Record<string, string> = {}, tty = false): Promise<Run> {
  let out = '';
  let err = '';
  const sleeps: number[] = [];
  let now = NOW;
  const io: ConsoleIo = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { MESH_LEAD_URL: base, ...env },
    stdoutIsTty: tty,
    stderrIsTty: tty,
    now: () => now,
    // Time passes only when the console waits: no real sleeps.
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
  };
  const code = await main(argv, io);
  return { code, out, err, sleeps };
}

const mesh0 = {
  agents_active: 29_847,
  agents_total: 30_000,
  sectors_healthy: 100,
  sectors_total: 100,
  mean_impedance: 127.4,
  conflicts_last_hour: 23,
  mode: 'FULL',
  frozen: false,
  last_cascade: { cascade_id: 'c-1', at: NOW - (3 * 3600 + 27 * 60) * 1000, status: 'SUCCEEDED' },
  operations: { in_flight: 0, queued: 0 },
};
const statusBody = (mesh: Partial<typeof mesh0> = {}) => ({ lead_id: 'lead-1', cluster_id: 'cluster-1', nats: { connected: true }, mesh: { ...mesh0, ...mesh } });

describe('mesh status', () => {
  it('draws the status box and exits 0 when healthy', async () => {
    routes['GET /v1/status'] = json(200, statusBody());
    const run = await mesh(['status']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.out).toContain('│ MESH-30K STATUS');
    expect(run.out).toContain('Agents: 29,847 / 30,000 active (99.5%)');
    expect(run.out).toContain('Sectors: 100/100 healthy');
    expect(run.out).toContain('Mean Impedance: 127ms');
    expect(run.out).toContain('Conflicts (last hour): 23');
    expect(run.out).toContain('Mode: FULL');
    expect(run.out).toContain('Last cascade: 3h 27m ago (SUCCEEDED)');
    expect(run.out).not.toContain('\u001b[');
    // Every row of the box is as wide as the others.
    expect(new Set(run.out.trim().split('\n').map((l) => l.length)).size).toBe(1);
  });

  it('exits 1 when degraded, and --json parses and says why', async () => {
    routes['GET /v1/status'] = json(200, statusBody({ mode: 'DEGRADED_LIGHT', sectors_healthy: 98 }));
    const run = await mesh(['status', '--json']);
    expect(run.code).toBe(EXIT.DEGRADED);
    const parsed = JSON.parse(run.out) as { healthy: boolean; degraded_reasons: string[]; mesh: { mode: string } };
    expect(parsed).toMatchObject({ healthy: false, degraded_reasons: ['mode DEGRADED_LIGHT', '2 sector(s) unhealthy'], mesh: { mode: 'DEGRADED_LIGHT' } });
  });

  it('prints one line with --oneline', async () => {
    routes['GET /v1/status'] = json(200, statusBody({ frozen: true }));
    const run = await mesh(['status', '--oneline']);
    expect(run).toMatchObject({ code: EXIT.DEGRADED, out: 'DEGRADED (frozen) lead lead-1: 29847/30000 agents active, mode FULL FROZEN, 23 conflicts/h\n' });
  });

  it('exits 2 when the lead is unreachable, after retrying', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await mesh(['status', '--lead', `http://127.0.0.1:${port}`]);
    expect(run.code).toBe(EXIT.DOWN);
    expect(run.err).toMatch(/^mesh: DOWN: cannot reach the lead at http:\/\/127\.0\.0\.1:\d+/);
    expect(run.sleeps).toEqual([100, 200]);
    const json = await mesh(['status', '--json', '--lead', `http://127.0.0.1:${port}`]);
    expect(JSON.parse(json.out)).toMatchObject({ error: { code: 'DOWN' }, exit_code: EXIT.DOWN });
  });

  it('with no command prints the help and exits 64; --help exits 0', async () => {
    const bare = await mesh([]);
    expect(bare.code).toBe(EXIT.USAGE);
    expect(bare.out).toContain('Usage: mesh [options] <command>');
    expect((await mesh(['--help'])).code).toBe(EXIT.OK);
    const one = await mesh(['ask', '--help']);
    expect(one).toMatchObject({ code: EXIT.OK, out: expect.stringContaining('Usage: mesh ask QUESTION') });
  });

  it('exits 2 when the lead keeps answering 503, honouring Retry-After', async () => {
    routes['GET /v1/status'] = json(503, { code: 'UNAVAILABLE', status: 503, detail: 'engine stopped' }, { 'retry-after': '1' });
    const run = await mesh(['status']);
    expect(run.code).toBe(EXIT.DOWN);
    expect(run.sleeps).toEqual([1000, 1000]);
    expect(run.err).toBe('mesh: status: UNAVAILABLE: engine stopped\n');
  });

  it('exits 2 when the answer is not a mesh status', async () => {
    routes['GET /v1/status'] = json(200, { lead_id: 'lead-1' });
    expect(await mesh(['status'])).toMatchObject({ code: EXIT.DOWN, err: "mesh: status: the lead's answer is not a mesh status (mesh: Invalid input: expected object, received undefined)\n" });
  });

  it('exits 77 when the lead refuses the credentials', async () => {
    routes['GET /v1/status'] = json(401, { code: 'UNAUTHENTICATED', status: 401, reason: 'UNKNOWN_OPERATOR', detail: 'no operator "eve"', request_id: 'r-1' });
    const run = await mesh(['status', '--token', 'mt1.abc.def']);
    expect(run.code).toBe(EXIT.AUTH);
    expect(run.err.split('\n')[0]).toBe('mesh: status: UNAUTHENTICATED (UNKNOWN_OPERATOR): no operator "eve" [request r-1]');
    // The second line names the settings to fix.
    expect(run.err.split('\n')[1]).toMatch(/--operator with --key, or --token.*docs\/console\.md/);
    expect(seen[0]!.headers.authorization).toBe('Bearer mt1.abc.def');
  });

  it('colours only on a terminal, and never with NO_COLOR', async () => {
    routes['GET /v1/status'] = json(200, statusBody({ mode: 'DEGRADED_LIGHT' }));
    expect((await mesh(['status'], {}, true)).out).toContain('\u001b[33mDEGRADED_LIGHT');
    expect((await mesh(['status'], { NO_COLOR: '1' }, true)).out).not.toContain('\u001b[');
  });
});

describe('credentials', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-console-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('signs each request with the operator key, over the exact method, path, query and body', async () => {
    const keyFile = join(dir, 'cecilia.key');
    const keys = await generateKeyFile(keyFile);
    routes['POST /v1/freeze'] = json(200, { action: 'freeze', scope: 'global', target_id: null, message_id: 'm-1', published: true, lead_frozen: true });
    routes['GET /v1/agents'] = json(200, { agents: [] });
    const env = { MESH_OPERATOR_KEY: keyFile, MESH_OPERATOR_ID: 'cecilia' };
    expect((await mesh(['freeze', '--reason', 'drill'], env)).code).toBe(EXIT.OK);
    expect((await mesh(['agents', '--state', 'active'], env)).code).toBe(EXIT.OK);
    expect((await mesh(['agents', '--capability', 'sensor read/zoë'], env)).code).toBe(EXIT.OK);
    for (const request of seen) {
      const auth = parseApiAuthorization(String(request.headers.authorization));
      if (!auth.ok) throw new Error('unparsable Authorization');
      expect(auth.value).toMatchObject({ operatorId: 'cecilia', timestamp: NOW });
      const bytes = apiRequestSigningBytes({ method: request.method, pathAndQuery: request.url, timestamp: auth.value.timestamp, nonce: auth.value.nonce, body: new TextEncoder().encode(request.body) });
      expect(await nodeEd25519.verify(keys.publicKey, bytes, auth.value.signature)).toBe(true);
    }
    expect(seen[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(seen[0]!.body)).toEqual({ scope: 'global', reason: 'drill' });
    const agentRequests = seen.filter((request) => request.url.startsWith('/v1/agents'));
    expect(agentRequests.at(-2)!.url).toBe('/v1/agents?state=active');
    expect(agentRequests.at(-1)!.url).toBe('/v1/agents?capability=sensor+read%2Fzo%C3%AB');
  });

  it('exits 77 on an unreadable key file, and 64 on a key without an operator id', async () => {
    const missing = await mesh(['status', '--key', join(dir, 'nope.key'), '--operator', 'cecilia']);
    expect(missing.code).toBe(EXIT.AUTH);
    expect(missing.err).toContain('cannot open key file');
    const noId = await mesh(['status', '--key', join(dir, 'cecilia.key')]);
    expect(noId).toMatchObject({ code: EXIT.USAGE, err: 'mesh: --operator: required with --key (or set MESH_OPERATOR_ID)\n' });
  });
});

describe('usage errors', () => {
  it.each([
    [['status', '--lead', 'ftp://x'], 'mesh: --lead: must be an http:// or https:// URL\n'],
    [['agents', '--state', 'sleepy'], 'mesh: --state: must be active, degraded, offline, quarantined or retired\n'],
    [['agents', '--page-size', '0'], 'mesh: --page-size: must be at least 1\n'],
    [['freeze', '--scope', 'cluster'], 'mesh: --target: required with --scope cluster\n'],
    [['delegate', 'job', '--to', 'gpu'], 'mesh: --to: must be best_available, class:A-F, capability:NAME or agent:ID\n'],
    [['frobnicate'], 'mesh: unknown command "frobnicate"; see mesh --help\n'],
    [['status', '--bogus'], expect.stringMatching(/^mesh: Unknown option '--bogus'/)],
    [['ask'], 'mesh: question: missing; give it as an argument\n'],
    [['heal', '--wait', 'soon'], 'mesh: --wait: must be a number\n'],
  ])('mesh %j exits 64 with one line naming the problem', async (argv, message) => {
    const run = await mesh(argv);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.err).toEqual(message);
    expect(seen).toHaveLength(0);
  });

  it('names the variable when the bad value came from the environment', async () => {
    const run = await mesh(['status'], { MESH_LEAD_URL: 'lead-1:8470' });
    expect(run).toMatchObject({ code: EXIT.USAGE, err: 'mesh: MESH_LEAD_URL: must be an http:// or https:// URL\n' });
    expect((await mesh(['status'], { MESH_TOKEN: 'abc' })).err).toBe('mesh: MESH_TOKEN: must be a token made by `mesh-lead api-token` (mt1.…)\n');
  });

  it('takes a value that starts with a dash', async () => {
    routes['POST /v1/operations'] = json(202, { operation_id: 'op-1', state: 'SUCCEEDED', kind: 'broadcast', result: { counts: { sent: 1, stragglers: 0 } } });
    expect((await mesh(['broadcast', '--agents', '-a1', 'hi'])).code).toBe(EXIT.OK);
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ selector: { agent_ids: ['-a1'] } });
  });
});

describe('operations', () => {
  it('ask: submits, polls the job and groups the answers as the spec shows', async () => {
    let polls = 0;
    routes['POST /v1/operations'] = json(202, { operation_id: 'op-7', state: 'QUEUED', kind: 'ask', location: '/v1/operations/op-7' }, { location: '/v1/operations/op-7' });
    routes['GET /v1/operations/op-7'] = (s, res) =>
      json(200, polls++ < 3
        ? { operation_id: 'op-7', kind: 'ask', state: 'RUNNING' }
        : { operation_id: 'op-7', kind: 'ask', state: 'SUCCEEDED', result: { answers: [
          { answer: { context_hash: 'e5f6g7h8' }, agents: ['a', 'b'], count: 2 },
          { answer: 'CONFLICT', agents: ['j'], count: 1 },
          { answer: { context_hash: '' }, agents: ['k'], count: 1 },
          { answer: null, agents: ['l'], count: 1 },
          { answer: { context_hash: 'a1b2c3d4' }, agents: ['c', 'd', 'e', 'f', 'g', 'h', 'i'], count: 7 },
        ] } })(s, res);
    const run = await mesh(['ask', "What's your current context hash?", '--sample', '10', '--capability', 'sensor.read']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.out).toBe('12 responses:\n- 7 agents: a1b2c3d4\n- 2 agents: e5f6g7h8\n- 1 agent: CONFLICT (context divergence detected)\n- 1 agent: (empty)\n- 1 agent: (no answer)\n');
    expect(JSON.parse(seen[0]!.body)).toEqual({ kind: 'ask', question: "What's your current context hash?", sample_size: 10, capability: 'sensor.read' });
    expect(seen[0]!.headers['idempotency-key']).toBeDefined();
    expect(run.sleeps).toEqual([500, 500, 500, 500]);
  });

  it('follows the Location the lead gives (delegations before they are jobs)', async () => {
    routes['POST /v1/delegations'] = json(202, { delegation_id: 'd-1', state: 'running', location: '/v1/delegations/d-1' });
    routes['GET /v1/delegations/d-1'] = json(200, { delegation_id: 'd-1', state: 'completed', result: { status: 'SUCCEEDED', agent_id: 'pi-4', elapsed_ms: 1200 } });
    const run = await mesh(['delegate', 'read the sensor', '--to', 'capability:sensor.read']);
    expect(run).toMatchObject({ code: EXIT.OK, out: 'Delegated to agent pi-4\nResult ready in 1.2 seconds\n' });
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /v1/delegations', 'GET /v1/delegations/d-1']);
  });

  it('broadcast: reports received and acknowledged; a failed job exits 1', async () => {
    routes['POST /v1/operations'] = json(202, { operation_id: 'op-9', state: 'SUCCEEDED', result: { counts: { selected: 29_847, sent: 29_847, stragglers: 16, conflicts: 0 } } });
    const ok = await mesh(['broadcast', 'Context update: Market closed early today']);
    expect(ok).toMatchObject({ code: EXIT.OK, out: 'Broadcast complete: 29,847 received, 29,831 acknowledged\n' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ kind: 'broadcast', verb: 'record', payload: { message: 'Context update: Market closed early today' }, selector: { all: true }, priority: 2 });
    routes['POST /v1/operations'] = json(202, { operation_id: 'op-9', state: 'SUCCEEDED', result: { counts: { sent: 10, stragglers: 1 } } });
    expect((await mesh(['broadcast', 'all of you', '--require-ack'])).code).toBe(EXIT.DEGRADED);
    routes['POST /v1/operations'] = json(202, { operation_id: 'op-10', state: 'FAILED', error: { code: 'NO_TARGETS', message: 'no agent matched' } });
    const failed = await mesh(['broadcast', 'hello']);
    expect(failed).toMatchObject({ code: EXIT.DEGRADED, err: 'operation op-10 failed (NO_TARGETS): no agent matched\n' });
  });

  it('a refused operation exits 1 with the problem on one line', async () => {
    routes['POST /v1/operations'] = json(409, { code: 'FROZEN', status: 409, detail: 'the lead is frozen' });
    const run = await mesh(['broadcast', 'hi']);
    expect(run).toMatchObject({ code: EXIT.DEGRADED, err: 'mesh: broadcast refused: FROZEN: the lead is frozen\n' });
  });

  it('--no-wait prints how to follow the job; --wait gives up when it runs out', async () => {
    routes['POST /v1/heal'] = json(202, { operation_id: 'op-h', state: 'QUEUED', kind: 'heal' });
    routes['GET /v1/operations/op-h'] = json(200, { operation_id: 'op-h', state: 'RUNNING', kind: 'heal' });
    expect((await mesh(['heal', 'SECTOR-12', '--no-wait'])).out).toBe('operation op-h is queued; follow it with: mesh operation op-h\n');
    const waited = await mesh(['heal', '--wait', '2']);
    expect(waited).toMatchObject({ code: EXIT.OK, out: 'operation op-h is running; follow it with: mesh operation op-h\n' });
    expect(waited.sleeps).toEqual([500, 500, 500, 500]);
  });

  it('heal and delegate print what happened', async () => {
    routes['POST /v1/heal'] = json(202, { operation_id: 'op-h', state: 'SUCCEEDED', kind: 'heal', result: { target: 'SECTOR-12', recovered: ['a1', 'a2', 'a3'], skipped: [{ agent_id: 'a4', reason: 'retired' }], breakers_reset: [{ scope: 'sector', target_id: 'SECTOR-12' }] } });
    expect((await mesh(['heal', 'SECTOR-12'])).out).toBe('Healing SECTOR-12:\n- 3 agents recovered (a1, a2, a3)\n- 1 agent left alone (a4: retired)\n- 1 circuit breaker reset (sector SECTOR-12)\nSECTOR-12 heal complete\n');
    routes['POST /v1/delegations'] = json(202, { operation_id: 'op-d', state: 'SUCCEEDED', kind: 'delegation', result: { status: 'SUCCEEDED', agent_id: 'GPU-SECTOR3-CLUSTER7-A12', elapsed_ms: 34_200 } });
    const run = await mesh(['delegate', 'Analyze Q3 financial data', '--to', 'CLASS_D_GPU', '--task-timeout', '60']);
    expect(run.out).toBe('Delegated to agent GPU-SECTOR3-CLUSTER7-A12\nResult ready in 34.2 seconds\n');
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ task: { verb: 'decide', payload: { task: 'Analyze Q3 financial data' } }, to: { agent_class: 'D' }, timeout_ms: 60_000 });
  });

  it('a failed delegation says why and exits 1', async () => {
    routes['POST /v1/delegations'] = json(202, { delegation_id: 'd-2', operation_id: 'op-d2', kind: 'delegation', state: 'RUNNING', location: '/v1/operations/op-d2' });
    routes['GET /v1/operations/op-d2'] = json(200, { operation_id: 'op-d2', kind: 'delegation', state: 'FAILED', error: { code: 'DELEGATION_FAILED', message: 'failed' }, result: { status: 'FAILED', agent_id: null, reason: 'no agent with capability gpu answered' } });
    const run = await mesh(['delegate', 'render', '--to', 'capability:gpu']);
    expect(run).toMatchObject({ code: EXIT.DEGRADED, out: '', err: 'delegation failed: no agent with capability gpu answered\n' });
  });

  it('shows progress on a terminal once an operation takes over a second', async () => {
    let polls = 0;
    routes['POST /v1/operations'] = json(202, { operation_id: 'op-p', state: 'QUEUED' });
    routes['GET /v1/operations/op-p'] = (s, res) => json(200, { operation_id: 'op-p', state: polls++ < 4 ? 'RUNNING' : 'SUCCEEDED', result: { answers: [] } })(s, res);
    const tty = await mesh(['ask', 'q'], {}, true);
    expect(tty.err).toContain('ask op-p: running (1s)');
    expect(tty.err.endsWith('\r\u001b[2K')).toBe(true);
    polls = 0;
    expect((await mesh(['ask', 'q'])).err).toBe('');
  });
});

describe('mode', () => {
  it('shows the mode, sets and clears an override with PUT (exit 1 unless FULL)', async () => {
    routes['GET /v1/mode'] = json(200, { mode: 'FULL', computed: 'FULL', override: null });
    expect(await mesh(['mode'])).toMatchObject({ code: EXIT.OK, out: 'mode FULL (computed FULL, no override)\n' });
    routes['PUT /v1/mode'] = (s, res) => json(200, { mode: (JSON.parse(s.body) as { override: string | null }).override ?? 'FULL', computed: 'FULL', override: (JSON.parse(s.body) as { override: string | null }).override })(s, res);
    expect(await mesh(['mode', '--set', 'degraded_light'])).toMatchObject({ code: EXIT.DEGRADED, out: 'mode DEGRADED_LIGHT (computed FULL, overridden to DEGRADED_LIGHT)\n' });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ override: 'DEGRADED_LIGHT' });
    expect((await mesh(['mode', '--clear'])).code).toBe(EXIT.OK);
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ override: null });
    expect((await mesh(['mode', '--set', 'calm'])).err).toBe('mesh: --set: must be FULL, DEGRADED_LIGHT, DEGRADED_MODERATE, DEGRADED_SEVERE or EMERGENCY\n');
  });
});

describe('lists', () => {
  it('agents --all follows the pages; --json parses', async () => {
    const agent = (id: string) => ({ agent_id: id, agent_class: 'E', cluster_id: 'cluster-1', state: 'active', last_heartbeat_at: NOW - 2000, impedance: { impedance_score: 120 } });
    routes['GET /v1/agents?class=E&page_size=2'] = json(200, { agents: [agent('a1'), agent('a2')], next_page_token: 'p2' });
    routes['GET /v1/agents?class=E&page_size=2&page_token=p2'] = json(200, { agents: [agent('a3')] });
    const run = await mesh(['agents', '--class', 'e', '--page-size', '2', '--all']);
    expect(run.out).toBe(['AGENT  CLASS  CLUSTER    STATE   IMPEDANCE  HARDWARE  LAST HEARTBEAT', ...['a1', 'a2', 'a3'].map((id) => `${id}     E      cluster-1  active  120        -         2s ago`)].join('\n') + '\n');
    const one = await mesh(['agents', '--class', 'E', '--page-size', '2', '--json']);
    expect(JSON.parse(one.out)).toMatchObject({ agents: [{ agent_id: 'a1' }, { agent_id: 'a2' }], next_page_token: 'p2' });
  });

  it('agents and agent ID show the Pi health block: a HARDWARE column and detail lines', async () => {
    const system_health = {
      temperature_c: 83.2,
      cpu_load_pct: 91,
      memory_used_pct: 40,
      disk_used_pct: 12.4,
      uptime_s: 100,
      ntp_synchronized: true,
      throttle: { raw: 0x50004, under_voltage_since_boot: true, throttled_since_boot: true, freq_capped_since_boot: false },
      conditions: ['throttled', 'hot'],
      degraded: true,
    };
    const pi = { agent_id: 'pi-7', agent_class: 'E', cluster_id: 'c-1', state: 'degraded', last_heartbeat_at: NOW - 1000, impedance: { impedance_score: 90 }, system_health };
    routes['GET /v1/agents'] = json(200, { agents: [pi] });
    expect((await mesh(['agents'])).out.split('\n')[1]).toBe('pi-7   E      c-1      degraded  90         83°C throttled,hot  1s ago');
    routes['GET /v1/agents/pi-7'] = json(200, pi);
    const detail = (await mesh(['agent', 'pi-7'])).out;
    for (const line of ['hardware           throttled, hot (degraded)', 'temperature        83.2 °C', 'load / mem / disk  91% / 40% / 12%', 'throttle word      0x50004 (since boot: under_voltage, throttled)', 'ntp synced         yes']) {
      expect(detail.split('\n'), line).toContain(line);
    }
  });

  it('agents and status show the Workers\' probes: result and age, and a Worker that never answered one', async () => {
    const worker = (id: string, probe: unknown) => ({ agent_id: id, url: `https://${id}.example.net`, class: 'A', capabilities: ['route'], cluster_id: 'c-1', public_key: 'k', probe });
    const answering = worker('edge-1', { last_probe_at: NOW - 3000, ok: true, last_ok_at: NOW - 3000, last_error: null, rtt_ms: 41.6, breaker: 'closed' });
    const gone = worker('edge-2', { last_probe_at: NOW - 12_000, ok: false, last_ok_at: null, last_error: 'unreachable: ECONNREFUSED', rtt_ms: null, breaker: 'open' });
    routes['GET /v1/edge-agents'] = json(200, { edge_agents: [answering, gone] });
    const registered = { agent_id: 'edge-1', agent_class: 'A', cluster_id: 'c-1', state: 'active', last_heartbeat_at: NOW - 3000, impedance: { impedance_score: 40 } };
    routes['GET /v1/agents'] = json(200, { agents: [registered, { ...registered, agent_id: 'pi-1', agent_class: 'E' }] });
    const lines = (await mesh(['agents'])).out.split('\n');
    expect(lines[0]).toMatch(/LAST HEARTBEAT {2}EDGE PROBE$/);
    expect(lines[1]).toMatch(/^edge-1 .* ok 3s ago, 42 ms$/);
    expect(lines[2]).toMatch(/^pi-1 .* -$/);
    // Never answered a probe, so in no registry page: listed after it, with why.
    expect(lines[3]).toMatch(/^edge-2 +A +c-1 +unregistered .* never +failed 12s ago: unreachable: ECONNREFUSED \(never answered; breaker open\)$/);
    const listed = JSON.parse((await mesh(['agents', '--json'])).out) as { agents: { agent_id: string; probe?: { ok: boolean } }[]; unregistered_edge_agents: { agent_id: string }[] };
    expect(listed.agents[0]!.probe?.ok).toBe(true);
    expect(listed.agents[1]!.probe).toBeUndefined();
    expect(listed.unregistered_edge_agents.map((e) => e.agent_id)).toEqual(['edge-2']);
    // A state filter cannot match a Worker that has no state yet.
    expect((await mesh(['agents', '--state', 'active'])).out).not.toContain('edge-2');

    routes['GET /v1/status'] = json(200, statusBody());
    const status = await mesh(['status']);
    expect(status.code).toBe(EXIT.DEGRADED);
    expect(status.out).toContain('Edge Workers: 1/2 answering probes\n  edge-2: failed 12s ago: unreachable: ECONNREFUSED (never answered; breaker open)\n');
    expect(status.out).toContain('Degraded: edge Worker edge-2 not answering probes');
    const body = JSON.parse((await mesh(['status', '--json'])).out) as { degraded_reasons: string[]; edge_agents: { agent_id: string; probe: { ok: boolean } }[] };
    expect(body.degraded_reasons).toEqual(['edge Worker edge-2 not answering probes']);
    expect(body.edge_agents.map((e) => [e.agent_id, e.probe.ok])).toEqual([['edge-1', true], ['edge-2', false]]);
  });

  it('dead-letters lists, replays and drops; a refused replay exits 1 with the reason', async () => {
    routes['GET /v1/dead-letters'] = json(200, { dead_letters: [{ id: 7, created_at: NOW - 60_000, kind: 'conflict.escalation', operation_id: null, agent_id: 'pi-1', reason: 'no responders', attempts: 2 }] });
    expect((await mesh(['dead-letters'])).out).toBe('ID  WHEN       KIND                 OPERATION  AGENT  ATTEMPTS  REASON\n7   1m 0s ago  conflict.escalation  -          pi-1   2         no responders\n');
    routes['POST /v1/dead-letters/7/replay'] = json(200, { id: 7, replayed: true, detail: 'conflict escalated to the parent lead' });
    expect(await mesh(['dead-letters', 'replay', '7'])).toMatchObject({ code: EXIT.OK, out: 'dead letter 7 replayed: conflict escalated to the parent lead\n' });
    expect(seen.at(-1)!.headers['idempotency-key']).toBeDefined();
    routes['DELETE /v1/dead-letters/7'] = (_s, res) => {
      res.writeHead(204);
      res.end();
    };
    expect(await mesh(['dead-letters', 'drop', '7'])).toMatchObject({ code: EXIT.OK, out: 'dead letter 7 dropped\n' });
    routes['POST /v1/dead-letters/8/replay'] = json(409, { code: 'NOT_REPLAYABLE', status: 409, reason_code: 'STALE', detail: 'the COORDINATE expired' });
    const refused = await mesh(['dead-letters', 'replay', '8']);
    expect(refused.code).toBe(EXIT.DEGRADED);
    expect(refused.err).toContain('NOT_REPLAYABLE (STALE): the COORDINATE expired');
    expect((await mesh(['dead-letters', 'replay', 'x'])).err).toBe('mesh: --id: must be a dead letter id (a positive whole number)\n');
  });

  it('agent ID: 404 exits 1', async () => {
    const run = await mesh(['agent', 'ghost']);
    expect(run.code).toBe(EXIT.DEGRADED);
    expect(run.err).toContain('mesh: agent ghost: NOT_FOUND');
  });

  it('breakers exit 1 while one is open; conflicts take a relative --since', async () => {
    routes['GET /v1/breakers'] = json(200, { breakers: [{ scope: 'cluster', target_id: 'cluster-1', state: 'OPEN', failures_in_window: 5, opened_at: NOW - 60_000, next_check_at: NOW + 30_000 }] });
    const b = await mesh(['breakers']);
    expect(b.code).toBe(EXIT.DEGRADED);
    expect(b.out).toContain('cluster  cluster-1  OPEN   5         1m 0s ago  in 30s');
    routes['GET /v1/conflicts'] = json(200, { conflicts: [] });
    expect((await mesh(['conflicts', '--since', '1h'])).out).toBe('no conflicts\n');
    expect(seen.at(-1)!.url).toBe(`/v1/conflicts?since=${NOW - 3_600_000}`);
  });
});
