/**
 * The console against the OpenAPI document, so the two cannot drift: each command runs as an
 * operator would run it, against a server that records what it is sent, and every request is
 * checked with Ajv: a documented method and path, documented query parameters with values of
 * their schema, and a body the documented request schema accepts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../api/openapi/index.js';
import { main, type ConsoleIo } from './index.js';

type Json = Record<string, unknown>;
interface Sent {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

const doc = openApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
const operations = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), pattern: new RegExp(`^${path.replace(/\{[a-z_]+\}/g, '[^/]+')}$`), path, op })),
);

/** What is wrong with one request the console sent, by the document; empty when nothing is. */
function violations(sent: Sent): string[] {
  const url = new URL(sent.url, 'http://lead');
  const documented = operations.find((o) => o.method === sent.method && o.pattern.test(url.pathname));
  if (documented === undefined) return [`${sent.method} ${url.pathname} is not in the document`];
  const out: string[] = [];
  const parameters = ((documented.op.parameters ?? []) as Json[]).filter((p) => p.in === 'query');
  for (const [name, value] of url.searchParams) {
    const parameter = parameters.find((p) => p.name === name);
    if (parameter === undefined) {
      out.push(`query parameter ${name} is not documented for ${sent.method} ${documented.path}`);
      continue;
    }
    const schema = parameter.schema as Json;
    // Numeric parameters travel as text; the document gives the number they must be.
    const typed = schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
    const validate = ajv.compile(schema);
    if (!validate(typed)) out.push(`query ${name}=${value}: ${ajv.errorsText(validate.errors)}`);
  }
  const media = ((documented.op.requestBody as Json | undefined)?.content as Record<string, { schema: Json }> | undefined)?.['application/json'];
  if (sent.body !== '') {
    if (media === undefined) return [...out, `${sent.method} ${documented.path} takes no body, and the console sent one`];
    const validate = ajv.compile({ ...media.schema, components: doc.components });
    if (!validate(JSON.parse(sent.body))) out.push(`body ${sent.body}: ${ajv.errorsText(validate.errors)}`);
  } else if (media !== undefined && (documented.op.requestBody as Json).required === true) {
    out.push(`${sent.method} ${documented.path} requires a body, and the console sent none`);
  }
  return out;
}

let server: Server | undefined;
let base = '';
let sent: Sent[] = [];
let dir = '';

beforeAll(async () => {
  // Status for the commands that look first (freeze); any other request is recorded and refused.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      sent.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ code: 'NOT_FOUND', status: 404, detail: 'recorded' }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'mesh-console-contract-'));
  writeFileSync(join(dir, 'worker.enrollment.json'), JSON.stringify({ bytes: 'eyJhZ2VudF9pZCI6ImVkZ2UtMSJ9', signature: 'c2ln', signer_key_id: 'root-1' }));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((resolve) => server!.close(() => resolve()));
});

async function run(argv: readonly string[]): Promise<Sent[]> {
  sent = [];
  let now = 1_800_000_000_000;
  const io: ConsoleIo = {
    out: () => {},
    err: () => {},
    env: { MESH_LEAD_URL: base },
    stdoutIsTty: false,
    stderrIsTty: false,
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
  };
  await main([...argv], io);
  return sent;
}

/** Every command that sends a body, with its options (values inside the console's own checks). */
const WRITES: readonly (readonly string[])[] = [
  ['ask', "What's your context hash?", '--sample', '10', '--capability', 'sensor.read', '--op-timeout', '30', '--priority', '2', '--no-wait'],
  ['ask', 'q', '--no-wait'],
  ['broadcast', 'hello', '--priority', '3', '--require-ack', '--verb', 'record', '--op-timeout', '5', '--cluster', 'cluster-1', '--no-wait'],
  ['broadcast', 'hello', '--sector', 'sector-2', '--no-wait'],
  ['broadcast', 'hello', '--class', 'B', '--no-wait'],
  ['broadcast', 'hello', '--capability', 'gpio', '--no-wait'],
  ['broadcast', 'hello', '--agents', 'pi-01,pi-02', '--no-wait'],
  ['identify', 'pi-01', '--seconds', '5', '--no-wait'],
  ['delegate', 'read the sensor', '--to', 'capability:sensor.read', '--verb', 'observe', '--task-timeout', '60', '--attempts', '2', '--priority', '1', '--no-wait'],
  ['delegate', 'render', '--to', 'class:D', '--no-wait'],
  ['delegate', 'render', '--to', 'agent:pi-01', '--no-wait'],
  ['delegate', 'render', '--to', 'best_available', '--no-wait'],
  ['heal', 'SECTOR-12', '--no-wait'],
  ['heal', '--no-wait'],
  ['freeze', '--scope', 'sector', '--target', 'sector-2', '--reason', 'drill'],
  ['freeze'],
  ['thaw', '--scope', 'cluster', '--target', 'cluster-1'],
  ['mode', '--set', 'degraded_light'],
  ['mode', '--clear'],
  ['breakers', '--force', 'cluster-1=open', '--scope', 'cluster', '--reason', 'relay rewiring'],
  ['breakers', '--force', 'sector-2=auto'],
  ['agent', 'pi-01', '--quarantine', '--reason', 'bench test'],
  ['agent', 'pi-01', '--recover'],
  ['agent', 'pi-01', '--retire', '--reason', 'replaced'],
  ['enroll', 'accept', 'pi-01', '--capabilities', 'gpio,onewire', '--class', 'B', '--sector', 'sector-2', '--expires-days', '30'],
  ['enroll', 'accept', 'pi-01'],
  ['enroll', 'reject', 'pi-01', '--reason', 'not one of ours'],
];

/** Commands that only read, or write without a body: their paths and queries are checked too. */
const OTHERS: readonly (readonly string[])[] = [
  ['status'],
  ['agents', '--state', 'active', '--class', 'e', '--capability', 'gpio', '--cluster', 'cluster-1', '--page-size', '50'],
  ['agent', 'pi-01'],
  ['conflicts', '--since', '1h', '--agent', 'pi-01', '--type', 'STATE', '--min-priority', '2', '--page-size', '10'],
  ['sensors'],
  ['sensors', 'pi-01'],
  ['sensors', 'pi-01', '--history', 'temp', '--page-size', '5'],
  ['enrollments', '--state', 'all'],
  ['dead-letters', '--kind', 'coordinate', '--page-size', '20'],
  ['dead-letters', 'replay', '7'],
  ['dead-letters', 'drop', '7'],
  ['edge', 'list'],
  ['operation', 'op-1'],
  ['cancel', 'op-1'],
  ['breakers'],
  ['mode'],
];

describe('the console sends what the OpenAPI document describes', () => {
  it.each(WRITES.map((argv) => [argv.join(' '), argv] as const))('mesh %s: a body the documented schema accepts', async (_name, argv) => {
    const requests = await run(argv);
    expect(requests.filter((r) => r.body !== ''), 'the command sent no body').not.toEqual([]);
    expect(requests.flatMap(violations)).toEqual([]);
  });

  it('mesh edge add: the enrollment body as documented', async () => {
    const requests = await run(['edge', 'add', 'https://mesh-edge.example.workers.dev', '--enrollment', join(dir, 'worker.enrollment.json')]);
    expect(requests.map((r) => `${r.method} ${r.url}`)).toContain('POST /v1/edge-agents');
    expect(requests.flatMap(violations)).toEqual([]);
  });

  it.each(OTHERS.map((argv) => [argv.join(' '), argv] as const))('mesh %s: documented paths and query parameters', async (_name, argv) => {
    const requests = await run(argv);
    expect(requests, 'the command sent nothing').not.toEqual([]);
    expect(requests.flatMap(violations)).toEqual([]);
  });

  it('would catch a drift: an undocumented field, a bad query value and an unknown route are named', () => {
    expect(violations({ method: 'POST', url: '/v1/heal', body: '{"target":"auto","force":true}' })).toHaveLength(1);
    expect(violations({ method: 'GET', url: '/v1/agents?page_size=0', body: '' })[0]).toMatch(/page_size/);
    expect(violations({ method: 'GET', url: '/v1/agents?sort=id', body: '' })[0]).toMatch(/sort/);
    expect(violations({ method: 'PATCH', url: '/v1/mode', body: '{}' })[0]).toMatch(/not in the document/);
  });
});
