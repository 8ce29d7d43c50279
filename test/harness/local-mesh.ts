// A whole mesh on this machine, as real processes: a private nats-server, one lead
// (`mesh-lead run`), virtual agents (`mesh-agent sim`, one process per link profile, each
// optionally behind a link emulator) and optionally Workers in workerd, registered with the
// lead over its API. For end-to-end tests, the demo and benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { publicKeyText, toBase64Url, type AgentClass } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';
import { startEdgeWorker, type EdgeHost } from '../bench/edge-host.js';
import { onProcessExit } from './exit-cleanup.js';
import { LeadApi } from './lead-api.js';
import { startLink, type Link } from './link-emulator.js';
import type { LinkProfile } from './link-profile.js';
import { startNats, type NatsServer } from './nats-server.js';
import { freePort } from './ports.js';
import { makeTempDir, type TempDir } from './temp.js';

const REPO = join(import.meta.dirname, '..', '..');
const LEAD_BIN = join(REPO, 'packages', 'cluster-lead', 'bin', 'mesh-lead.js');
const AGENT_BIN = join(REPO, 'packages', 'pi-daemon', 'bin', 'mesh-agent.js');
/** As in nats-server.ts: the kernel kills the child when this process dies, even by SIGKILL. */
const PARENT_DEATH_WRAPPER = '/usr/bin/setpriv';
const LEAD_ID = 'lead-local';
const OPERATOR_ID = 'harness';
const CLUSTER_ID = 'local-cluster';
const CAPABILITIES = ['sensor.read'];
const POLL_MS = 100;
const STOP_GRACE_MS = 8_000;
const LOOPBACK_UNSTABLE_DRIFT = 5;
const LOOPBACK_SPIKE_FACTOR = 10;

export interface LinkProfiles {
  up: LinkProfile;
  down: LinkProfile;
}

export interface LocalMeshOptions {
  /** Virtual agents in all, split evenly over the sim processes. */
  agents: number;
  /** Relative weights of the impedance classes (sim spec `classes`); default all E. */
  classes?: Partial<Record<AgentClass, number>>;
  /** One sim process per entry, each behind its own link emulator to NATS; none: one sim, no link. */
  linkProfiles?: readonly LinkProfiles[];
  /** Edge Workers served by workerd and registered with the lead (POST /v1/edge-agents). */
  workers?: number;
  /** Only 0 for now (one lead): the two-level hierarchy is not built here yet. */
  leadsBelowRoot?: 0;
  seed?: number;
  /** Heartbeat interval of the agents and the lead (and the Workers' probe interval). */
  heartbeatMs?: number;
  /** How long start-up may take, until every agent is active. */
  readyTimeoutMs?: number;
}

/** What GET /v1/operations/:id answers (the fields tests use); `result` once SUCCEEDED. */
export interface OperationView {
  operation_id: string;
  state: string;
  kind: string;
  error?: { code: string; message: string };
  result: {
    status: string;
    decision: string;
    counts: Record<string, number>;
    responders: { agent_id: string; arrival_error_ms: number }[];
    stragglers: string[];
    skipped: { agent_id: string; reason: string }[];
    arrival: { window_ms: number; abs: { p50: number; p90: number; p99: number; max: number } | null; hit_rate: number | null };
    timings: { target_time: number; decided_at: number };
  } | null;
}

/** The API operator every lead of the mesh trusts (role operator); its key file is in `dir`. */
export interface MeshOperator {
  readonly id: string;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly keyFile: string;
}

export interface LocalMesh {
  readonly leadUrl: string;
  readonly operator: MeshOperator;
  /** The lead's API; tests, the demo and benchmarks call the lead through this. */
  readonly api: LeadApi;
  readonly natsUrl: string;
  /** Ids of every virtual agent and Worker. */
  readonly agentIds: readonly string[];
  /** Every process started (nats-server, lead, sims, workerd): stop() ends them all. */
  readonly pids: readonly number[];
  /** Where each process logs (`lead.log`, `sim-0.log`, ...). */
  readonly dir: string;
  /** POST /v1/operations, then GET until SUCCEEDED or FAILED. */
  operation(body: Record<string, unknown>, timeoutMs?: number): Promise<OperationView>;
  /** Stops everything started; throws if a process is still alive afterwards. */
  stop(): Promise<void>;
}

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

function spawnNode(dir: string, name: string, args: string[]): Proc {
  const [command, argv] = existsSync(PARENT_DEATH_WRAPPER)
    ? [PARENT_DEATH_WRAPPER, ['--pdeathsig', 'KILL', process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(command, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(join(dir, `${name}.log`));
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const unregister = onProcessExit(() => child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      unregister();
      log.end();
      resolve();
    }),
  );
  return { name, child, exited };
}

async function stopProc(proc: Proc): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGTERM');
  const escalation = setTimeout(() => proc.child.kill('SIGKILL'), STOP_GRACE_MS);
  await proc.exited;
  clearTimeout(escalation);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>, procs: readonly Proc[] = []): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead !== undefined) throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting for ${what}`);
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(POLL_MS);
  }
}


export async function startLocalMesh(options: LocalMeshOptions): Promise<LocalMesh> {
  const heartbeatMs = options.heartbeatMs ?? 500;
  const seed = options.seed ?? 1;
  const workers = options.workers ?? 0;
  const profiles: readonly (LinkProfiles | undefined)[] = options.linkProfiles?.length ? options.linkProfiles : [undefined];
  const tmp: TempDir = await makeTempDir('mesh30k-local-');
  const procs: Proc[] = [];
  const links: Link[] = [];
  const hosts: EdgeHost[] = [];
  const pids: number[] = [];
  let nats: NatsServer | undefined;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Agents first (their stop hands held work back), then the lead, then what they use.
      await Promise.all(procs.filter((p) => p.name.startsWith('sim')).map(stopProc));
      await Promise.all(procs.map(stopProc));
      for (const host of hosts) await host.dispose();
      for (const link of links) await link.close();
      await nats?.dispose();
      const left = await waitFor('every process to exit', STOP_GRACE_MS, () => (pids.some(isAlive) ? undefined : true)).catch(() => false);
      await tmp.dispose();
      if (left !== true) throw new Error(`still running after stop(): ${pids.filter(isAlive).join(', ')}`);
    })());

  try {
    const dir = tmp.path;
    const rootKey = join(dir, 'root.key');
    const leadKey = join(dir, 'lead.key');
    const root = await generateKeyFile(rootKey);
    const lead = await generateKeyFile(leadKey);
    const operatorKeys = await generateKeyFile(join(dir, 'operator.key'));
    const operator: MeshOperator = { id: OPERATOR_ID, privateKey: operatorKeys.privateKey, publicKey: operatorKeys.publicKey, keyFile: join(dir, 'operator.key') };
    const enrollDir = join(dir, 'enrollments');
    await mkdir(enrollDir);
    await mkdir(join(dir, 'lead-data'));

    nats = await startNats();
    if (nats.pid !== undefined) pids.push(nats.pid);
    const natsTarget = { host: nats.host, port: nats.port };

    // Sims first: each writes its signed enrollments before its agents start, and the lead
    // reads the enrollment directory when it starts (later only on SIGHUP).
    const agentIds: string[] = [];
    let remaining = options.agents;
    for (const [k, profile] of profiles.entries()) {
      const count = Math.ceil(remaining / (profiles.length - k));
      remaining -= count;
      if (count === 0) continue;
      let natsUrl = nats.url;
      if (profile !== undefined) {
        const link = await startLink({ target: natsTarget, up: profile.up, down: profile.down, seed: seed + k });
        links.push(link);
        natsUrl = link.url('nats');
      }
      const spec = {
        lead_id: LEAD_ID,
        cluster_id: CLUSTER_ID,
        count,
        id_prefix: `s${k}`,
        seed: seed + k,
        classes: options.classes ?? { E: 1 },
        capabilities: CAPABILITIES,
        heartbeat_interval_ms: heartbeatMs,
        burst_samples: 4,
      };
      const specPath = join(dir, `sim-${k}.spec.json`);
      const out = join(dir, `sim-${k}.enrollments.json`);
      await writeFile(specPath, JSON.stringify(spec));
      const sim = spawnNode(dir, `sim-${k}`, [
        AGENT_BIN, 'sim', '--nats', natsUrl, '--lead-key', publicKeyText(lead.publicKey), '--spec', specPath,
        '--root-key', rootKey, '--enrollments-out', out, '--report', '1', '--log-level', 'warn',
      ]);
      procs.push(sim);
      if (sim.child.pid !== undefined) pids.push(sim.child.pid);
      // The sim writes {root_public_key, enrollments: [{agent_id, public_key, enrollment}]};
      // the lead reads files of signed records, so the records are copied out.
      const entries = await waitFor(`sim-${k}'s enrollments`, 30_000, async () => {
        try {
          return (JSON.parse(await readFile(out, 'utf8')) as { enrollments: { agent_id: string; enrollment: unknown }[] }).enrollments;
        } catch {
          return undefined; // not there yet, or still being written
        }
      }, [sim]);
      await writeFile(join(enrollDir, `sim-${k}.json`), JSON.stringify(entries.map((e) => e.enrollment)));
      agentIds.push(...entries.map((e) => e.agent_id));
    }

    const port = await freePort();
    const config = {
      lead_id: LEAD_ID,
      cluster_id: CLUSTER_ID,
      nats: { servers: [nats.url] },
      key_path: leadKey,
      trust: { root_public_keys: [publicKeyText(root.publicKey)], enrollments: enrollDir },
      data_dir: join(dir, 'lead-data'),
      http: { host: '127.0.0.1', port },
      api: { operators: [{ id: operator.id, public_key: publicKeyText(operator.publicKey), role: 'operator' }] },
      heartbeat: { interval_ms: heartbeatMs },
      ingest: { verify_threads: 1 },
      // Loopback latencies are a few ms that swing several-fold whenever this shared machine
      // is busy: at the default thresholds (CV 0.5, 2x baseline) agents flap between active
      // and degraded. Link emulators and real networks are what these thresholds are for.
      thresholds: { unstable_drift: LOOPBACK_UNSTABLE_DRIFT, spike_factor: LOOPBACK_SPIKE_FACTOR },
      log: { level: 'warn' },
    };
    await writeFile(join(dir, 'lead.json'), JSON.stringify(config, null, 2));
    const leadProc = spawnNode(dir, 'lead', [LEAD_BIN, 'run', '--config', join(dir, 'lead.json')]);
    procs.push(leadProc);
    if (leadProc.child.pid !== undefined) pids.push(leadProc.child.pid);
    const leadUrl = `http://127.0.0.1:${port}`;
    const api = new LeadApi(leadUrl, { operatorId: operator.id, privateKey: operator.privateKey });
    const readyTimeoutMs = options.readyTimeoutMs ?? 45_000;
    await waitFor('the lead to be ready', readyTimeoutMs, async () => ((await api.getOk('/health/ready')) !== undefined ? true : undefined), procs);

    for (let w = 0; w < workers; w++) {
      const agentId = `edge-${w}`;
      const pair = await nodeEd25519.generateKeyPair();
      const host = await startEdgeWorker({
        AGENT_PRIVATE_KEY: toBase64Url(pair.privateKey),
        LEAD_PUBLIC_KEYS: `${LEAD_ID}=${toBase64Url(lead.publicKey)}`,
        AGENT_ID: agentId,
        CLUSTER_ID: CLUSTER_ID,
        CAPABILITIES: CAPABILITIES.join(','),
      });
      hosts.push(host);
      if (host.workerdPid !== null) pids.push(host.workerdPid);
      const res = await api.post('/v1/edge-agents', { agent_id: agentId, url: host.url.toString(), capabilities: CAPABILITIES, cluster_id: CLUSTER_ID, public_key: toBase64Url(pair.publicKey) });
      if (res.status !== 201) throw new Error(`POST /v1/edge-agents ${agentId}: ${res.status} ${JSON.stringify(res.body)}`);
      agentIds.push(agentId);
    }

    const expected = agentIds.length;
    await waitFor(`${expected} active agents`, readyTimeoutMs, async () => {
      const status = await api.getOk<{ agents: { by_state: Record<string, number> } }>('/v1/status');
      return (status?.agents.by_state.active ?? 0) >= expected ? true : undefined;
    }, procs);

    return {
      leadUrl,
      operator,
      api,
      natsUrl: nats.url,
      agentIds,
      pids,
      dir,
      async operation(body, timeoutMs = 20_000) {
        const res = await api.post('/v1/operations', body);
        if (res.status !== 202) throw new Error(`POST /v1/operations: ${res.status} ${JSON.stringify(res.body)}`);
        const location = res.headers.get('location');
        if (location === null) throw new Error('POST /v1/operations: 202 without Location');
        return waitFor(`operation ${location}`, timeoutMs, async () => {
          const view = await api.getOk<OperationView>(location);
          return view !== undefined && (view.state === 'SUCCEEDED' || view.state === 'FAILED') ? view : undefined;
        }, procs);
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
