// The API over TLS, end to end: `mesh-lead init` makes a self-signed certificate for the
// lead's host names, `mesh-lead run` from init's lead.json serves HTTPS only, and the console
// reaches it trusting that certificate (--ca) or its fingerprint (--fingerprint); a wrong pin
// or no trust at all is refused before any request is sent, and plain HTTP is not served.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initLead } from '../../src/cli/init.js';
import { main, type ConsoleIo } from '../../src/console/index.js';
import { leadFetch } from '../../src/console/lead-fetch.js';
import { LEAD_BIN, freePort, makeTempDir, spawnCli, waitFor, type CliProcess, type TempDir } from '../../../../test/harness/index.js';

/** Nothing listens here: the API serves without NATS. */
const NO_NATS_PORT = 9;

let tmp: TempDir;
let lead: CliProcess;
let url: string;
let leadDir: string;
let fingerprint: string;

async function mesh(argv: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: ConsoleIo = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { MESH_LEAD_URL: url, MESH_OPERATOR_KEY: join(leadDir, 'operator.key'), MESH_OPERATOR_ID: 'operator', ...env },
    stdoutIsTty: false,
    stderrIsTty: false,
    now: () => Date.now(),
    sleep: () => Promise.resolve(),
    random: () => 0.5,
  };
  const code = await main([...argv, '--timeout', '5'], io);
  return { code, out, err };
}

beforeAll(async () => {
  tmp = await makeTempDir('mesh30k-api-tls-');
  leadDir = join(tmp.path, 'lead');
  const port = await freePort();
  const init = await initLead({ dir: leadDir, force: false, now: Date.now(), http: `127.0.0.1:${port}`, nats: `127.0.0.1:${NO_NATS_PORT}` });
  fingerprint = /fingerprint \(SHA-256\) (\S+)/.exec(init.text)?.[1] ?? '';
  url = `https://127.0.0.1:${port}`;
  lead = spawnCli(LEAD_BIN, ['run', '--config', init.leadConfigPath]);
  const trusted = leadFetch({ caFile: join(leadDir, 'api-tls', 'cert.pem') });
  await waitFor('the API over HTTPS', 30_000, async () => ((await trusted(`${url}/health/live`, {}).catch(() => undefined))?.status === 200 ? true : undefined));
}, 60_000);

afterAll(async () => {
  if (lead !== undefined && lead.child.exitCode === null) {
    lead.child.kill('SIGTERM');
    await lead.exited;
  }
  await tmp?.dispose();
});

describe('the API over TLS', () => {
  it('init writes a TLS config and a certificate for the host names, and prints its fingerprint', async () => {
    const config = JSON.parse(await readFile(join(leadDir, 'lead.json'), 'utf8')) as { http: Record<string, unknown> };
    expect(config.http).toMatchObject({ tls: { cert_path: join(leadDir, 'api-tls', 'cert.pem'), key_path: join(leadDir, 'api-tls', 'key.pem') } });
    expect(config.http.allow_plain_http).toBeUndefined();
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('the console reaches the lead trusting its certificate file, or its pinned fingerprint', async () => {
    const byCa = await mesh(['status', '--json'], { MESH_LEAD_CA: join(leadDir, 'api-tls', 'cert.pem') });
    expect(byCa.err, byCa.out).not.toContain('cannot reach');

    expect(JSON.parse(byCa.out)).toMatchObject({ lead_id: 'lead-1' });
    const byPin = await mesh(['status', '--json', '--fingerprint', fingerprint], {});
    expect(JSON.parse(byPin.out), byPin.err).toMatchObject({ lead_id: 'lead-1' });
  });

  it('refuses a wrong pin, and a certificate nobody said to trust, before sending anything', async () => {
    const wrongPin = await mesh(['status'], { MESH_LEAD_FINGERPRINT: 'AB'.repeat(32) });
    expect(wrongPin.code).toBe(2);
    expect(wrongPin.err).toContain('fingerprint');
    const untrusted = await mesh(['status'], {});
    expect(untrusted.code).toBe(2);
    expect(untrusted.err).toMatch(/self.signed|certificate/i);
  });

  it('does not answer plain HTTP on the API port', async () => {
    const plain = await fetch(url.replace('https:', 'http:') + '/health/live').then(
      (res) => res.status,
      () => 'refused',
    );
    expect(plain).not.toBe(200);
  });
});
