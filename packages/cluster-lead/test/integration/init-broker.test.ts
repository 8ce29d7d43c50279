// `mesh-lead init` makes a lead host in one step: the broker config it writes is the secured
// one (TLS, nkeys, permissions, leaf-node port), a real nats-server accepts it (`-t`) and runs
// it, and a lead started from init's lead.json logs in to that broker with init's nkey over TLS.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, nkeyAuthenticator } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTempDir, makeTestCertificates, startNats, type NatsServer, type TempDir, type TestCertificates } from '../../../../test/harness/index.js';
import { LEAD_BIN, spawnNode, stopProc, waitFor, type Proc } from '../../../../test/harness/local-mesh.js';
import { leadFetch } from '../../src/console/lead-fetch.js';
import { createNkeyIdentity } from '../../src/nats-config/index.js';

const run = promisify(execFile);
const START_MS = 30_000;

let tmp: TempDir;
let certs: TestCertificates;
let leadDir: string;
let natsPort: number;
let httpPort: number;
let nats: NatsServer | undefined;
let lead: Proc | undefined;

beforeAll(async () => {
  tmp = await makeTempDir('mesh30k-init-broker-');
  certs = await makeTestCertificates(tmp.path);
  leadDir = join(tmp.path, 'lead-host');
  natsPort = await freePort();
  httpPort = await freePort();
  const leafPort = await freePort();
  await run(process.execPath, [
    LEAD_BIN, 'init', leadDir,
    '--nats', `127.0.0.1:${natsPort}`, '--http', `127.0.0.1:${httpPort}`, '--leaf-port', String(leafPort),
    '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--tls-ca', certs.caFile,
  ]);
}, 60_000);

afterAll(async () => {
  if (lead !== undefined) await stopProc(lead);
  await nats?.dispose();
  await tmp?.dispose();
});

describe('mesh-lead init, on a real nats-server', () => {
  it('writes a broker config nats-server accepts, and a lead config that logs in to it', async () => {
    const config = join(leadDir, 'nats', 'nats-server.conf');
    // nats-server's own check of the file, as mesh-nats.service's ExecStartPre runs it.
    const checked = await run('nats-server', ['-t', '-c', config]);
    expect(checked.stderr + checked.stdout).toContain('configuration file');

    nats = await startNats({ port: natsPort, args: ['-c', config] });
    lead = spawnNode(tmp.path, 'lead', [LEAD_BIN, 'run', '--config', join(leadDir, 'lead.json')]);
    // Ready means connected to NATS with the heartbeat subscription on the server.
    const ready = await waitFor(
      'the lead to be ready',
      START_MS,
      async () => {
        // The API serves HTTPS with the certificate init made, trusted as the console would (--ca).
        const response = await leadFetch({ caFile: join(leadDir, 'api-tls', 'cert.pem') })(`https://127.0.0.1:${httpPort}/health/ready`, {}).catch(() => undefined);
        return response?.ok === true ? ((await response.json()) as { checks: { name: string; ok: boolean }[] }) : undefined;
      },
      [lead],
    );
    expect(ready.checks.find((check) => check.name === 'nats')).toEqual({ name: 'nats', ok: true });
  });

  it('refuses a client without a login, and one whose nkey is not in the fleet', async () => {
    expect(nats?.running).toBe(true);
    const anonymous = connect({ servers: `tls://127.0.0.1:${natsPort}`, tls: { caFile: certs.caFile }, reconnect: false, timeout: 5_000 });
    await expect(anonymous).rejects.toThrow(/AUTHORIZATION_VIOLATION|Authorization Violation/i);
    const stranger = connect({
      servers: `tls://127.0.0.1:${natsPort}`,
      tls: { caFile: certs.caFile },
      authenticator: nkeyAuthenticator(new TextEncoder().encode(createNkeyIdentity().seed)),
      reconnect: false,
      timeout: 5_000,
    });
    await expect(stranger).rejects.toThrow(/AUTHORIZATION_VIOLATION|Authorization Violation/i);
  });
});
