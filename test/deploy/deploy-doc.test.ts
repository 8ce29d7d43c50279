// docs/deploy.md, run: its `deploy-test` blocks in order in one bash, on loopback, with the
// lead host's files and a Pi's root in temporary directories; then the broker, the lead and
// the agent they configured, started for real, and the doc's console block that enrolls the
// agent. The doc and this test cannot drift: the commands are read from the doc.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, Events, nkeyAuthenticator, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as mesh, type ConsoleIo } from '../../packages/cluster-lead/src/console/index.js';
import { leadFetch } from '../../packages/cluster-lead/src/console/lead-fetch.js';
import { freePort, makeTempDir, startNats, type NatsServer, type TempDir } from '../harness/index.js';
import { LEAD_BIN, spawnNode, stopProc, waitFor, type Proc } from '../harness/local-mesh.js';

const REPO = join(import.meta.dirname, '..', '..');
const DOC = join(REPO, 'docs/deploy.md');

const START_MS = 30_000;

/** The fenced blocks marked ```sh deploy-test (or ```sh deploy-test-<tag>), in document order. */
export function testedBlocks(markdown: string, tag?: string): string[] {
  const marker = tag === undefined ? 'deploy-test' : `deploy-test-${tag}`;
  return [...markdown.matchAll(new RegExp(`^\`\`\`sh ${marker}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((match) => match[1] ?? '');
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
const procs: Proc[] = [];

/** Runs documented commands in one bash with the test's stand-ins and variables; resolves with what they printed. */
async function runDocumented(blocks: readonly string[]): Promise<string> {
  let printed = '';
  const script = PRELUDE + `mkdir -p "$PI_HOME"\n` + blocks.join('\n');
  const child = spawn('bash', ['-c', script], { env: { ...process.env, ...env, HOME: env.PI_HOME }, cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the documented commands failed (exit ${code}):\n${printed}`);
  return printed;
}

beforeAll(async () => {
  dir = await makeTempDir('mesh30k-deploy-doc-');
  env = {
    MESH_ETC: join(dir.path, 'lead-etc'),
    LEAD_DATA: join(dir.path, 'lead-data'),
    MESH_REPO: REPO,
    LEAD_HOST: '127.0.0.1',
    NATS_PORT: String(await freePort()),
    LEAF_PORT: String(await freePort()),
    API_PORT: String(await freePort()),
    PI_HOME: join(dir.path, 'pi-home'),
    PI_ROOT: join(dir.path, 'pi-root'),
  };
  output = await runDocumented(testedBlocks(await readFile(DOC, 'utf8')));
  nats = await startNats({ port: Number(env.NATS_PORT), args: ['-c', join(env.MESH_ETC!, 'nats/nats-server.conf')] });
}, 180_000);

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close()));
  await Promise.all(procs.map((proc) => stopProc(proc)));
  await nats?.dispose();
  await dir?.dispose();
});

/** The console in this process, logged in as the operator init made (no context file). */
async function consoleJson<T>(args: string[]): Promise<T | undefined> {
  let stdout = '';
  const io: ConsoleIo = {
    out: (text) => void (stdout += text),
    err: () => undefined,
    env: { MESH_LEAD_URL: `https://127.0.0.1:${env.API_PORT}`, MESH_LEAD_CA: join(env.MESH_ETC!, 'api-tls', 'cert.pem'), MESH_OPERATOR_KEY: join(env.MESH_ETC!, 'operator.key'), MESH_OPERATOR_ID: 'cecilia' },
    stdoutIsTty: false,
    stderrIsTty: false,
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
  };
  return (await mesh([...args, '--json'], io)) === 0 ? (JSON.parse(stdout) as T) : undefined;
}

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
    const at = (text: string): number => blocks.findIndex((b) => b.includes(text));
    expect(at('openssl req -x509')).toBeLessThan(at('mesh_lead init'));
    expect(at('mesh_lead init')).toBeLessThan(at('nats-user add pi-0001'));
    expect(testedBlocks(await readFile(DOC, 'utf8'), 'console').join('')).toContain('mesh enroll accept pi-0001');
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
    // The stand-in lead goes before the real one starts: left subscribed, it would answer the
    // agent's heartbeats with its 'ok' half of the time.
    await Promise.all([lead.close(), pi.close()]);
  });

  it('the lead runs from init\'s config, the installed agent asks to join, and the doc\'s console commands enroll it: active, no restart', async () => {
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
    };
    // What the units would start: the lead from init's lead.json, and the agent (after the
    // doc's keygen) with the agent.json the doc wrote, which pins only the mesh root.
    const lead = spawnNode(dir.path, 'lead', [LEAD_BIN, 'run', '--config', join(env.MESH_ETC!, 'lead.json')]);
    procs.push(lead);
    const launcher = join(piRoot, 'opt/mesh-agent/current/bin/mesh-agent');
    const keygen = spawn(launcher, ['keygen'], { env: agentEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let keygenErr = '';
    keygen.stderr.on('data', (chunk: Buffer) => (keygenErr += chunk.toString()));
    expect(await new Promise((resolve) => keygen.on('close', resolve)), keygenErr).toBe(0);
    // As in the doc, the lead host runs before the Pis start: an agent whose first request
    // finds no lead asks again only after its join retry (30 s).
    const trusted = leadFetch({ caFile: join(env.MESH_ETC!, 'api-tls', 'cert.pem') });
    await waitFor('the lead to be ready', START_MS, async () => ((await trusted(`https://127.0.0.1:${env.API_PORT}/health/ready`, {}).catch(() => undefined))?.ok === true ? true : undefined), [lead]);
    const agentChild = spawn(launcher, ['run'], { env: agentEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let agentLog = '';
    agentChild.stdout.on('data', (chunk: Buffer) => (agentLog += chunk.toString()));
    agentChild.stderr.on('data', (chunk: Buffer) => (agentLog += chunk.toString()));
    const agent: Proc = { name: 'mesh-agent', child: agentChild, exited: new Promise((resolve) => agentChild.on('close', () => resolve())) };
    procs.push(agent);

    await waitFor(
      'pi-0001 to be pending on the lead',
      START_MS,
      async () => (await consoleJson<{ enrollments: { agent_id: string }[] }>(['enrollments']))?.enrollments.find((e) => e.agent_id === 'pi-0001'),
      [lead, agent],
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nagent log:\n${agentLog.slice(-3000)}`);
    });
    const printed = await runDocumented([testedBlocks(await readFile(DOC, 'utf8'))[0]!, ...testedBlocks(await readFile(DOC, 'utf8'), 'console')]);
    expect(printed).toContain('pi-0001 enrolled until');
    const active = await waitFor(
      'pi-0001 to be active',
      START_MS,
      async () => {
        const view = await consoleJson<{ state?: string }>(['agent', 'pi-0001']);
        return view?.state === 'active' ? view : undefined;
      },
      [lead, agent],
    );
    expect(active.state).toBe('active');
    const status = (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as { connected: boolean; agent_id: string };
    expect(status).toMatchObject({ connected: true, agent_id: 'pi-0001' });
  });
});
