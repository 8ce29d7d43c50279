// Mistakes an operator makes, met by the real `mesh-agent run` and `mesh-lead run` processes:
// each must end in one clean line that names what is wrong and where, and an exit status the
// systemd units tell apart (never 70 or 1 with a stack).
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { publicKeyText } from '@mesh30k/shared';
import { generateKeyFile } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN, LEAD_BIN, makeTempDir, spawnCli, type TempDir } from '../harness/index.js';

const NOBODY = { uid: 65_534, gid: 65_534 };
const EX_NOPERM = 77;
const EX_TEMPFAIL = 75;
const EX_CONFIG = 78;
/** No NATS is needed for these failures; nothing listens here. */
const NO_NATS = 'nats://127.0.0.1:9';

let dir: TempDir;
let rootKey: string;
beforeAll(async () => {
  dir = await makeTempDir('mesh30k-operator-errors-');
  // Other users (the agent run as nobody) must reach the files inside.
  await chmod(dir.path, 0o755);
  rootKey = publicKeyText((await generateKeyFile(join(dir.path, 'root.key'))).publicKey);
});
afterAll(async () => {
  await dir.dispose();
});

async function agentConfig(name: string, extra: Record<string, unknown>): Promise<string> {
  const keyPath = join(dir.path, `${name}.key`);
  const keys = await generateKeyFile(keyPath);
  if (process.getuid?.() === 0) await chown(keyPath, NOBODY.uid, NOBODY.gid);
  const path = join(dir.path, `${name}.json`);
  const config = { agent_id: name, cluster_id: 'c1', lead_id: 'lead-1', lead_public_key: publicKeyText(keys.publicKey), nats: { servers: [NO_NATS] }, key_path: keyPath, status: { port: 0 }, ...extra };
  await writeFile(path, JSON.stringify(config));
  await chmod(path, 0o644);
  return path;
}

function expectOneCleanLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('the agent', () => {
  it('data_dir not writable: one line naming the directory and the permission, exit 77 (not restarted)', async () => {
    const dataDir = join(dir.path, 'agent-data');
    await mkdir(dataDir, { mode: 0o700 });
    const asRoot = process.getuid?.() === 0;
    // Root can write anywhere: run as nobody then. Otherwise take the write bit away from ourselves.
    if (!asRoot) await chmod(dataDir, 0o500);
    const config = await agentConfig('pi-perm', { data_dir: dataDir });
    const agent = spawnCli(AGENT_BIN, ['run', '--config', config], asRoot ? { asUser: NOBODY } : {});
    const { code } = await agent.exited;
    expect(code, agent.stderr()).toBe(EX_NOPERM);
    expectOneCleanLine(agent.stderr(), new RegExp(`^data_dir ${dataDir}: not writable by .*; the agent needs read, write and search permission \\(rwx\\) on it`));
  });

  it('"heartbeat_interval_ms": "soon" in the file says it must be a number, as the environment form does', async () => {
    const config = await agentConfig('pi-soon', { heartbeat_interval_ms: 'soon' });
    const agent = spawnCli(AGENT_BIN, ['run', '--config', config]);
    const { code } = await agent.exited;
    expect(code).toBe(EX_CONFIG);
    expectOneCleanLine(agent.stderr(), new RegExp(`^config ${config}: heartbeat_interval_ms: must be a number, got "soon"$`));
  });
});

describe('the lead', () => {
  let squatter: Server;
  let port: number;
  beforeAll(async () => {
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    port = (squatter.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  });

  it('warns about a misspelt MESH_LEAD_* variable, and a port in use is one line naming http.port, exit 75', async () => {
    const keyPath = join(dir.path, 'lead.key');
    await generateKeyFile(keyPath);
    const config = { lead_id: 'lead-1', cluster_id: 'c1', nats: { servers: [NO_NATS] }, key_path: keyPath, trust: { root_public_keys: [rootKey] }, data_dir: join(dir.path, 'lead-data'), http: { port, allow_plain_http: true } };
    const path = join(dir.path, 'lead.json');
    await writeFile(path, JSON.stringify(config));
    // The operator meant to move the port off the taken one, and misspelt the variable.
    const lead = spawnCli(LEAD_BIN, ['run', '--config', path], { env: { MESH_LEAD_HTTP_PORT: '0' } });
    const { code } = await lead.exited;
    const warning = lead.lines.find((line) => line.level === 40 && String(line.msg).includes('MESH_LEAD_HTTP_PORT'));
    expect(warning?.msg).toBe('MESH_LEAD_* variables that match no config key: MESH_LEAD_HTTP_PORT (did you mean MESH_LEAD_HTTP__PORT?)');
    expect(code, lead.stderr()).toBe(EX_TEMPFAIL);
    expectOneCleanLine(lead.stderr(), new RegExp(`^mesh-lead: http\\.port ${port}: 127\\.0\\.0\\.1:${port} is already in use by another process; stop it, or set http\\.port \\(MESH_LEAD_HTTP__PORT\\) to a free port$`));
  });

  it('refuses plain HTTP off loopback and an API without TLS: one line naming the field, exit 78', async () => {
    const keyPath = join(dir.path, 'lead-plain.key');
    await generateKeyFile(keyPath);
    const base = { lead_id: 'lead-1', cluster_id: 'c1', nats: { servers: [NO_NATS] }, key_path: keyPath, trust: { root_public_keys: [rootKey] }, data_dir: join(dir.path, 'lead-plain-data') };
    for (const [http, field] of [
      [{ host: '0.0.0.0', port: 0, allow_plain_http: true }, 'http\\.allow_plain_http'],
      [{ host: '127.0.0.1', port: 0 }, 'http\\.tls'],
    ] as const) {
      const path = join(dir.path, 'lead-plain.json');
      await writeFile(path, JSON.stringify({ ...base, http }));
      const lead = spawnCli(LEAD_BIN, ['run', '--config', path]);
      const { code } = await lead.exited;
      expect(code, lead.stderr()).toBe(EX_CONFIG);
      expectOneCleanLine(lead.stderr(), new RegExp(`^mesh-lead: config ${field}: `));
    }
  });
});
