// From nothing to an enrolled agent, as an operator does it: mesh-lead init, nats-server with
// the generated config, the lead from the generated config, an agent that pins only the mesh
// root and is not enrolled, `mesh enroll accept` from the console, and the agent active,
// without a restart or a file copied.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as mesh, type ConsoleIo } from '../../packages/cluster-lead/src/console/index.js';
import { leadFetch } from '../../packages/cluster-lead/src/console/lead-fetch.js';
import { freePort, makeTempDir, startNats, type NatsServer, type TempDir } from '../harness/index.js';
import { AGENT_BIN, LEAD_BIN, spawnNode, stopProc, waitFor, type Proc } from '../harness/local-mesh.js';

const START_MS = 30_000;

function node(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: START_MS }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

/** The console in this process, with its own environment (no context file, no HOME). */
async function console_(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const io: ConsoleIo = {
    out: (t) => void (out.stdout += t),
    err: (t) => void (out.stderr += t),
    env,
    stdoutIsTty: false,
    stderrIsTty: false,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    random: Math.random,
  };
  const code = await mesh(args, io);
  return { code, ...out };
}

/** pino's level, as a label (the agent) or a number (the lead). */
const isWarn = (line: Record<string, unknown>): boolean => line.level === 'warn' || line.level === 40;

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('one-step enrollment end to end (real processes)', () => {
  let tmp: TempDir;
  let nats: NatsServer;
  let lead: Proc;
  let agent: Proc;
  let env: Record<string, string>;
  let leadDir: string;

  beforeAll(async () => {
    tmp = await makeTempDir('mesh30k-enroll-e2e-');
    leadDir = join(tmp.path, 'lead-host');
    const natsPort = await freePort();
    const httpPort = await freePort();
    const init = await node([LEAD_BIN, 'init', leadDir, '--nats', `127.0.0.1:${natsPort}`, '--http', `127.0.0.1:${httpPort}`]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const root = /mesh root {2}(\S+)/.exec(init.stdout)?.[1];
    expect(root).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The agent's NATS login, as the operator makes it before starting the broker.
    const login = await node([LEAD_BIN, 'nats-user', 'add', 'pi-new', '--lead', 'lead-1', '--dir', join(leadDir, 'nats')]);
    expect(login.code).toBe(0);
    nats = await startNats({ port: natsPort, args: ['-c', join(leadDir, 'nats', 'nats-server.conf')] });
    lead = spawnNode(tmp.path, 'lead', [LEAD_BIN, 'run', '--config', join(leadDir, 'lead.json')]);
    // HTTPS with the certificate init made; the console trusts it as an operator would (--ca).
    env = { MESH_LEAD_URL: `https://127.0.0.1:${httpPort}`, MESH_LEAD_CA: join(leadDir, 'api-tls', 'cert.pem'), MESH_OPERATOR_KEY: join(leadDir, 'operator.key'), MESH_OPERATOR_ID: 'operator' };
    const trusted = leadFetch({ caFile: env.MESH_LEAD_CA });
    await waitFor('the lead to be ready', START_MS, async () => ((await trusted(`${env.MESH_LEAD_URL}/health/ready`, {}).catch(() => undefined))?.ok === true ? true : undefined), [lead]);

    // The agent's config as init printed it: the mesh root, the lead id, the broker. No lead key.
    const agentDir = join(tmp.path, 'pi');
    await mkdir(agentDir);
    const config = join(agentDir, 'agent.json');
    await writeFile(
      config,
      JSON.stringify({ agent_id: 'pi-new', cluster_id: 'cluster-1', lead_id: 'lead-1', trust_roots: [root], class: 'E', capabilities: ['gpio'], nats: { servers: [nats.url], nkey_seed_file: join(leadDir, 'nats', 'users', 'pi-new.nk') }, key_path: join(agentDir, 'agent.key'), data_dir: join(agentDir, 'data'), heartbeat_interval_ms: 1_000, status: { port: 0 } }),
    );
    const keygen = await node([AGENT_BIN, 'keygen', '--config', config]);
    expect(keygen.code).toBe(0);
    agent = spawnNode(tmp.path, 'agent', [AGENT_BIN, 'run', '--config', config]);
  }, 120_000);

  afterAll(async () => {
    if (agent !== undefined) await stopProc(agent);
    if (lead !== undefined) await stopProc(lead);
    await nats?.dispose();
    await tmp?.dispose();
  });

  it('the agent asks to join, the operator accepts it with mesh enroll accept, and it becomes active without a restart', async () => {
    const pending = await waitFor(
      'the agent to be pending',
      START_MS,
      async () => {
        const list = await console_(['enrollments', '--json'], env);
        const body = JSON.parse(list.stdout) as { enrollments: { agent_id: string; capabilities: string[] }[]; lead_signs: boolean };
        return body.enrollments.find((e) => e.agent_id === 'pi-new') === undefined ? undefined : body;
      },
      [lead, agent],
    );
    expect(pending.lead_signs).toBe(true);
    expect(pending.enrollments[0]).toMatchObject({ agent_id: 'pi-new', capabilities: ['gpio'] });
    const table = await console_(['enrollments'], env);
    expect(table.stdout).toMatch(/^AGENT\s+STATE/);
    expect(table.stdout).toContain('mesh enroll accept AGENT');

    const accepted = await console_(['enroll', 'accept', 'pi-new'], env);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/^pi-new enrolled until /);

    const view = await waitFor(
      'pi-new to be active',
      START_MS,
      async () => {
        const shown = await console_(['agent', 'pi-new', '--json'], env);
        const agentView = shown.code === 0 ? (JSON.parse(shown.stdout) as { state?: string }) : undefined;
        return agentView?.state === 'active' ? agentView : undefined;
      },
      [lead, agent],
    );
    expect(view.state).toBe('active');
    expect(agent.child.exitCode).toBeNull();
    expect((await console_(['enrollments', '--json'], env)).stdout).not.toContain('pi-new');

    // The agent said plainly that it waited, then that it was enrolled; never BAD_REPLY.
    const agentLog = jsonLines(await readFile(join(tmp.path, 'agent.log'), 'utf8'));
    expect(agentLog.some((l) => l.event === 'lead.key_learnt')).toBe(true);
    expect(agentLog.some((l) => l.event === 'enrollment.waiting' && isWarn(l) && String(l.msg).includes('mesh enroll accept pi-new'))).toBe(true);
    expect(agentLog.some((l) => l.event === 'enrollment.accepted')).toBe(true);
    expect(agentLog.some((l) => String(l.msg).includes('BAD_REPLY'))).toBe(false);
    // The lead said at warn that an agent waits, and that it refused an unknown key.
    const leadLog = jsonLines(await readFile(join(tmp.path, 'lead.log'), 'utf8'));
    expect(leadLog.some((l) => l.event === 'enrollment.requested' && isWarn(l) && l.agent_id === 'pi-new')).toBe(true);
    expect(leadLog.some((l) => l.event === 'heartbeat.refused' && l.code === 'NOT_ENROLLED' && isWarn(l))).toBe(true);
  });
});
