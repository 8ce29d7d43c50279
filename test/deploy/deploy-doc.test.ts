// docs/deploy.md, run: its `deploy-test` blocks in order in one bash, on loopback, with the
// lead host's files and a Pi's root in temporary directories; then the broker and the agent
// they configured, started for real. The doc and this test cannot drift: the commands are
// read from the doc.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publicKeyText } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { connect, Events, nkeyAuthenticator, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTempDir, startNats, waitFor, type NatsServer, type TempDir } from '../harness/index.js';

const REPO = join(import.meta.dirname, '..', '..');
const DOC = join(REPO, 'docs/deploy.md');

/** The fenced blocks marked ```sh deploy-test, in document order. */
export function testedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh deploy-test\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

/**
 * Stand-ins for what differs on one machine: `scp` copies into the Pi's home, `sudo` moves
 * /etc/mesh30k and /var/lib/mesh30k into the Pi's root and gives install.sh `--root`.
 */
const PRELUDE = `set -euo pipefail
scp() { local n=$(($# - 1)); cp "\${@:1:$n}" "$PI_HOME/"; }
sudo() {
  local args=() a
  for a in "$@"; do
    case "$a" in /etc/mesh30k*|/var/lib/mesh30k*) args+=("$PI_ROOT$a") ;; *) args+=("$a") ;; esac
  done
  case "\${args[0]}" in */install.sh) "\${args[@]}" --root "$PI_ROOT" ;; *) "\${args[@]}" ;; esac
}
`;

let dir: TempDir;
let env: Record<string, string>;
let output = '';
let nats: NatsServer | undefined;
const open: NatsConnection[] = [];

beforeAll(async () => {
  dir = await makeTempDir('mesh30k-deploy-doc-');
  const root = await nodeEd25519.generateKeyPair();
  env = {
    MESH_ETC: join(dir.path, 'lead-etc'),
    MESH_REPO: REPO,
    LEAD_HOST: '127.0.0.1',
    NATS_PORT: String(await freePort()),
    LEAF_PORT: String(await freePort()),
    MESH_ROOT_PUBLIC_KEY: publicKeyText(root.publicKey),
    PI_HOME: join(dir.path, 'pi-home'),
    PI_ROOT: join(dir.path, 'pi-root'),
  };
  const script = PRELUDE + `mkdir -p "$PI_HOME"\n` + testedBlocks(await readFile(DOC, 'utf8')).join('\n');
  const child = spawn('bash', ['-c', script], { env: { ...process.env, ...env, HOME: env.PI_HOME }, cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the documented commands failed (exit ${code}):\n${output}`);
  nats = await startNats({ port: Number(env.NATS_PORT), args: ['-c', join(env.MESH_ETC!, 'nats/nats-server.conf')] });
}, 180_000);

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close()));
  await nats?.dispose();
  await dir?.dispose();
});

async function login(seedFile: string, caFile: string, id: string): Promise<NatsConnection> {
  const seed = new TextEncoder().encode((await readFile(seedFile, 'utf8')).trim());
  const nc = await connect({ servers: `tls://127.0.0.1:${env.NATS_PORT}`, tls: { caFile }, authenticator: nkeyAuthenticator(seed), inboxPrefix: `_INBOX.${id}`, reconnect: false });
  open.push(nc);
  return nc;
}

describe('docs/deploy.md, run on loopback', () => {
  it('has the blocks this test runs, in the order the doc gives them', async () => {
    const blocks = testedBlocks(await readFile(DOC, 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    expect(blocks.findIndex((b) => b.includes('openssl req -x509'))).toBeLessThan(blocks.findIndex((b) => b.includes('nats-user server')));
    expect(output).toContain('configuration file');
  });

  it('the generated broker config lets the lead and the Pi log in with the seeds and CA the doc installed', async () => {
    const lead = await login(join(env.MESH_ETC!, 'lead-nats.nk'), join(env.MESH_ETC!, 'tls/ca.pem'), 'lead-1');
    lead.subscribe('mesh.lead-1.hb', { callback: (_err, msg) => msg.respond(new TextEncoder().encode('ok')) });
    await lead.flush();
    const agentConfig = JSON.parse(await readFile(join(env.PI_ROOT!, 'etc/mesh30k/agent.json'), 'utf8')) as { nats: { servers: string[] } };
    expect(agentConfig.nats.servers).toEqual([`tls://127.0.0.1:${env.NATS_PORT}`]);
    const pi = await login(join(env.PI_ROOT!, 'var/lib/mesh30k/nats.nk'), join(env.PI_ROOT!, 'etc/mesh30k/ca.pem'), 'pi-0001');
    const reply = await pi.request('mesh.lead-1.hb', new Uint8Array(), { timeout: 2_000 });
    expect(new TextDecoder().decode(reply.data)).toBe('ok');
    // And the Pi's permissions hold: another agent's subjects are refused.
    const refused = (async () => {
      for await (const status of pi.status()) if (status.type === Events.Error) return status.permissionContext?.subject;
      return undefined;
    })();
    pi.subscribe('mesh.agent.pi-0002.>');
    expect(await refused).toBe('mesh.agent.pi-0002.>');
  });

  it('the agent installed into the Pi root runs and connects to that broker over TLS with its nkey', async () => {
    const piRoot = env.PI_ROOT!;
    const statusPort = await freePort();
    // The config's absolute paths, moved into the Pi root through the environment overrides.
    const agentEnv = {
      ...process.env,
      MESH_AGENT_CONFIG: join(piRoot, 'etc/mesh30k/agent.json'),
      MESH_NATS_TLS_CA_FILE: join(piRoot, 'etc/mesh30k/ca.pem'),
      MESH_NATS_NKEY_SEED_FILE: join(piRoot, 'var/lib/mesh30k/nats.nk'),
      MESH_KEY_PATH: join(piRoot, 'var/lib/mesh30k/agent.key'),
      MESH_DATA_DIR: join(piRoot, 'var/lib/mesh30k'),
      MESH_STATUS_PORT: String(statusPort),
      // Until leads announce themselves under the root (the enrollment work), an agent also
      // needs its lead's key; the doc's config pins only the root.
      MESH_LEAD_PUBLIC_KEY: publicKeyText((await nodeEd25519.generateKeyPair()).publicKey),
    };
    const launcher = join(piRoot, 'opt/mesh-agent/current/bin/mesh-agent');
    const keygen = spawn(launcher, ['keygen', '--agent-id', 'pi-0001', '--cluster', 'cluster-1', '--key', agentEnv.MESH_KEY_PATH], { env: agentEnv, stdio: 'ignore' });
    expect(await new Promise((resolve) => keygen.on('close', resolve))).toBe(0);
    const agent = spawn(launcher, ['run'], { env: agentEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    agent.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    agent.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      const status = await waitFor('the agent to report itself connected', 20_000, async () => {
        if (agent.exitCode !== null) throw new Error(`mesh-agent exited ${agent.exitCode}:\n${log}`);
        const response = await fetch(`http://127.0.0.1:${statusPort}/status`).catch(() => undefined);
        const body = response?.ok === true ? ((await response.json()) as { connected: boolean; agent_id: string }) : undefined;
        return body?.connected === true ? body : undefined;
      });
      expect(status.agent_id).toBe('pi-0001');
    } finally {
      if (agent.exitCode === null && agent.signalCode === null) {
        const closed = new Promise((resolve) => agent.on('close', resolve));
        agent.kill('SIGTERM');
        await closed;
      }
    }
  });
});
