import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyFile } from '@mesh30k/shared/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, main, type ConsoleIo } from './index.js';

let server: Server;
let base = '';
let seen: IncomingHttpHeaders[] = [];
let status = 200;
let dir = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      // A lead without Workers (no edge tier).
      if (req.url?.startsWith('/v1/edge-agents') === true) {
        res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"code":"NOT_FOUND","status":404}');
        return;
      }
      res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'application/problem+json' });
      res.end(JSON.stringify(status === 200 ? { lead_id: 'lead-1', cluster_id: 'c1', nats: { connected: true }, mesh: { agents_active: 1, agents_total: 1, sectors_healthy: 1, sectors_total: 1, mean_impedance: 10, conflicts_last_hour: 0, mode: 'FULL', frozen: false, last_cascade: null, operations: { in_flight: 0, queued: 0 } } } : { code: 'UNAUTHENTICATED', status, detail: 'no credentials' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  dir = mkdtempSync(join(tmpdir(), 'mesh30k-contexts-'));
  seen = [];
  status = 200;
});

async function mesh(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io: ConsoleIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: { XDG_CONFIG_HOME: join(dir, 'config'), ...env },
    stdoutIsTty: false,
    stderrIsTty: false,
    now: () => Date.now(),
    sleep: () => Promise.resolve(),
    random: () => 0.5,
  };
  return { code: await main(argv, io), out, err };
}

describe('mesh context', () => {
  it('add writes a 0600 file in a 0700 directory, and mesh status then uses its lead and key', async () => {
    const key = join(dir, 'cecilia.key');
    await generateKeyFile(key);
    const added = await mesh(['context', 'add', 'lab', '--lead', base, '--operator', 'cecilia', '--key', key]);
    expect(added.err).toBe('');
    expect(added.code).toBe(EXIT.OK);
    const file = join(dir, 'config', 'mesh', 'contexts.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'config', 'mesh')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ current: 'lab', contexts: { lab: { lead: base, operator: 'cecilia', key } } });

    const run = await mesh(['status']);
    expect(run.code).toBe(EXIT.OK);
    expect(seen[0]?.authorization).toMatch(/^Mesh-Ed25519 id=cecilia,/);

    // A variable wins over the context, credentials as one set.
    seen = [];
    await mesh(['status'], { MESH_TOKEN: 'mt1.x.y' });
    expect(seen[0]?.authorization).toBe('Bearer mt1.x.y');
  });

  it('use, list and rm; an unknown context names where it was asked for', async () => {
    await mesh(['context', 'add', 'a', '--lead', base]);
    await mesh(['context', 'add', 'b', '--lead', 'http://127.0.0.1:1', '--token', 'mt1.t.s', '--description', 'far away']);
    expect((await mesh(['context', 'list'])).out).toBe(`* a  ${base}  no credentials\n  b  http://127.0.0.1:1  token  (far away)\n`);
    expect((await mesh(['context', 'use', 'b'])).out).toContain('current context: b');
    expect((await mesh(['context', 'list'])).out).toMatch(/^\* b/m);
    const missing = await mesh(['status', '--context', 'nope']);
    expect(missing.code).toBe(EXIT.USAGE);
    expect(missing.err).toContain('context "nope" does not exist (--context)');
    expect((await mesh(['context', 'rm', 'b'])).code).toBe(EXIT.OK);
    expect((await mesh(['context', 'list'])).out).toBe(`  a  ${base}  no credentials\n`);
    expect((await mesh(['context', 'add', 'bad name', '--lead', base])).code).toBe(EXIT.USAGE);
  });

  it('an authentication failure names the settings to fix and points at docs/console.md', async () => {
    status = 401;
    await mesh(['context', 'add', 'lab', '--lead', base]);
    const run = await mesh(['status']);
    expect(run.code).toBe(EXIT.AUTH);
    expect(run.err).toContain('MESH_OPERATOR_ID with MESH_OPERATOR_KEY');
    expect(run.err).toContain('mesh context list');
    expect(run.err).toContain('docs/console.md');
  });
});
