// A whole mesh on this machine, as real processes: a private nats-server, one lead
// (`mesh-lead run`), virtual agents (`mesh-agent sim`, one process per link profile, each
// optionally behind a link emulator) and optionally Workers in workerd, registered with the
// lead over its API. For end-to-end tests, the demo and benchmarks.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { publicKeyText, toBase64Url, type AgentClass, type KeyPair } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';
import { startEdgeWorker, type EdgeHost } from '../bench/edge-host.js';
import { AGENT_BIN, LEAD_BIN } from './cli-process.js';
import { onProcessExit } from './exit-cleanup.js';
import { LeadApi } from './lead-api.js';
import { startLeadTree } from './lead-tree.js';
import type { ChunkTap } from './delay-pipe.js';
import type { Link } from './link-emulator.js';
import { simLink, type LinkProfiles } from './sim-link.js';
import { provisionMeshDaemon, type MeshDaemonFiles } from './mesh-daemon.js';
import { startNats, type NatsServer } from './nats-server.js';
import { freePort } from './ports.js';
import { RestartableProc, type Proc } from './restartable-proc.js';
import { makeTempDir, type TempDir } from './temp.js';
import { parsePromText } from './prom-text.js';

const REPO = join(import.meta.dirname, '..', '..');
export { AGENT_BIN, LEAD_BIN };
/** As in nats-server.ts: the kernel kills the child when this process dies, even by SIGKILL. */
const PARENT_DEATH_WRAPPER = '/usr/bin/setpriv';
export const LEAD_ID = 'lead-local';
const OPERATOR_ID = 'harness';
const CLUSTER_ID = 'local-cluster';
const CAPABILITIES = ['sensor.read'];
const POLL_MS = 100;
const STOP_GRACE_MS = 8_000;
const LOOPBACK_UNSTABLE_DRIFT = 5;
const LOOPBACK_SPIKE_FACTOR = 10;
const DEFAULT_READY_TIMEOUT_MS = 45_000;
/** While waiting for every agent to be active, the count is told this often. */
const PROGRESS_EVERY_MS = 5_000;

export type { LinkProfiles } from './sim-link.js';

export interface LocalMeshOptions {
  /** Virtual agents in all, split evenly over the sim processes. */
  agents: number;
  /** Relative weights of the impedance classes (sim spec `classes`); default all E. */
  classes?: Partial<Record<AgentClass, number>>;
  /** One sim process per entry, its agents each on their own emulated link (or all behind one, `gateway`); none: one sim, no link. */
  linkProfiles?: readonly LinkProfiles[];
  /** Edge Workers served by workerd and registered with the lead (POST /v1/edge-agents). */
  workers?: number;
  /**
   * 0 (default): one lead. More: a root lead with this many child leads (kind `lead`), the
   * sims and Workers split over the children, built by lead-tree.ts.
   */
  leadsBelowRoot?: number;
  /** Told each start-up step as it begins (a demo shows them; tests leave it out). */
  onProgress?: (step: string) => void;
  /**
   * Sections merged into every lead's config (e.g. `{ scatter: { ack_return_slack_ms: 1000 } }`);
   * with one lead a section given here replaces the harness's own section of that name.
   */
  leadConfig?: Record<string, Record<string, unknown>>;
  /** Node flags for the (single) lead process, e.g. `['--cpu-prof', '--cpu-prof-dir', dir]` (benchmarks). */
  leadNodeArgs?: readonly string[];
  /** Node flags for every sim process, e.g. `['--cpu-prof', '--cpu-prof-dir', dir]` (benchmarks). */
  simNodeArgs?: readonly string[];
  seed?: number;
  /** Heartbeat interval of the agents and the lead (and the Workers' probe interval). */
  heartbeatMs?: number;
  /**
   * How long each start-up stage may take: the sims' enrollments, the lead's readiness, and
   * every agent active (default 45 s; scale runs give more).
   */
  readyTimeoutMs?: number;
  /** Told of every chunk a gateway link's uplink lets go (benchmarks: which ACK was held how long). */
  gatewayTap?: ChunkTap;
  /** Each sim appends the true instant of every READY release to `sim-<k>.arrivals.jsonl` (benchmarks). */
  recordArrivals?: boolean;
  /** Sim processes when no link profiles are given (big fleets: one process per ~2,500 agents). */
  simProcesses?: number;
  /** Extra nats-server arguments (e.g. `-m <port>` for its monitoring endpoint). */
  natsArgs?: readonly string[];
  /**
   * Real agent daemons (`mesh-agent run`, ids `pi-0`, `pi-1`...) besides the virtual agents,
   * each with its own key, config and SQLite data dir, straight on NATS. Single lead only.
   */
  daemons?: number;
  /** The daemons' log_level (default `info`). */
  daemonLogLevel?: string;
  /** The daemons' `sensors` config section (docs/sensors.md); none when absent. */
  daemonSensors?: unknown;
  /** The sims' --log-level (default `warn`). */
  simLogLevel?: string;
  /**
   * More identities the lead trusts from its start (a replay generator's fleet): called with
   * the mesh root before the lead starts; what it returns (signed enrollment records, or a
   * sim-style bundle) is written to the lead's enrollment directory.
   */
  enroll?: (root: KeyPair, names: { leadId: string; clusterId: string }) => Promise<unknown>;
  /** Every sim agent gets a virtual relay (`act:relay`) and a temperature read this often (sim spec `virtual_sensors`). */
  virtualSensors?: { interval_ms: number };
  /** The sims' processing scenario (sim spec `processing.scenario`): independent draws (default) or realistic. */
  processingScenario?: 'independent' | 'realistic';
  /**
   * A fleet booting as a real one does (scale runs): the sims start their agents only once the
   * lead serves (not into NO_RESPONDERS), each at a random moment within this window, ms.
   * Absent: the agents start as soon as their sim wrote its enrollments, all at once.
   */
  bootSpreadMs?: number;
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

/** A fresh operator key pair, its key file in `dir`. */
export async function createMeshOperator(dir: string): Promise<MeshOperator> {
  const keyFile = join(dir, 'operator.key');
  const keys = await generateKeyFile(keyFile);
  return { id: OPERATOR_ID, privateKey: keys.privateKey, publicKey: keys.publicKey, keyFile };
}

/** The lead config's `api` section that trusts `operator`. */
export function operatorApiConfig(operator: MeshOperator): Record<string, unknown> {
  return { operators: [{ id: operator.id, public_key: publicKeyText(operator.publicKey), role: 'operator' }] };
}

/** A client of the lead at `url` that signs as `operator`. */
export function operatorApi(url: string, operator: MeshOperator): LeadApi {
  return new LeadApi(url, { operatorId: operator.id, privateKey: operator.privateKey });
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
  /** The sims' arrival files when `recordArrivals` was set (gone after stop()). */
  readonly arrivalFiles: readonly string[];
  /** The lead process, for CPU and memory readings (the current one, after a restart). */
  readonly leadPid: number | undefined;
  /** Single lead: the nats-server, to kill and restart on its port (`kill()`, `restart()`). */
  readonly nats?: NatsServer;
  /** Single lead: the lead process, to kill and start again on the same config and database. */
  readonly lead?: RestartableProc;
  /** Single lead: the real agent daemons asked for with `daemons`. */
  readonly daemons?: readonly MeshDaemon[];
  /** POST /v1/operations, then GET until SUCCEEDED or FAILED. */
  operation(body: Record<string, unknown>, timeoutMs?: number): Promise<OperationView>;
  /** Stops everything started; throws if a process is still alive afterwards. */
  stop(options?: MeshStopOptions): Promise<void>;
  /** Every lead, root first (one entry without a hierarchy). */
  readonly leads?: readonly LeadHandle[];
  /**
   * Single lead only: SIGTERM the lead, wait for it to exit, merge `config` sections into its
   * config file and start it again (logging to `lead-<n>.log`); resolves once it is ready.
   */
  restartLead?(config?: Record<string, Record<string, unknown>>): Promise<void>;
}

export interface MeshStopOptions {
  /** Runs once every process has exited, before the mesh's directory is removed (to read its logs and databases). */
  beforeCleanup?: (dir: string) => Promise<void>;
}

/** A real `mesh-agent run` daemon of the mesh: its files, and its process to kill and restart. */
export interface MeshDaemon extends MeshDaemonFiles {
  readonly proc: RestartableProc;
}

export interface LeadHandle {
  readonly leadId: string;
  readonly url: string;
  readonly api: LeadApi;
  /** The agents and Workers this lead serves itself. */
  readonly agentIds: readonly string[];
}

export type { Proc } from './restartable-proc.js';

export function spawnNode(dir: string, name: string, args: string[]): Proc {
  const [command, argv] = existsSync(PARENT_DEATH_WRAPPER)
    ? [PARENT_DEATH_WRAPPER, ['--pdeathsig', 'KILL', process.execPath, ...args]]
    : [process.execPath, args];
  // The child writes its log file itself: piped through this process, a log burst (30,000
  // agents changing state at once) waits for this event loop, and a lead logging synchronously
  // stalls on the full pipe while the bench is busy.
  const log = openSync(join(dir, `${name}.log`), 'w');
  const child = spawn(command, argv, { cwd: REPO, stdio: ['ignore', log, log] });
  closeSync(log);
  const unregister = onProcessExit(() => child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      unregister();
      resolve();
    }),
  );
  return { name, child, exited };
}

export async function stopProc(proc: Proc): Promise<void> {
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
export async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>, procs: readonly Proc[] = []): Promise<T> {
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


/** What one mesh start-up has started, and the one way to stop all of it. */
export class MeshParts {
  readonly procs: Proc[] = [];
  readonly links: Link[] = [];
  readonly hosts: EdgeHost[] = [];
  /** Every process started, nats-server and workerd included: none may outlive stop(). */
  readonly pids: number[] = [];
  private nats: NatsServer | undefined;
  private stopping: Promise<void> | undefined;

  /** `stopFirst`: process name prefixes stopped in this order before all the rest. */
  constructor(
    private readonly tmp: TempDir,
    private readonly stopFirst: readonly string[],
  ) {}

  get natsServer(): NatsServer | undefined {
    return this.nats;
  }

  async startNats(options: Parameters<typeof startNats>[0]): Promise<NatsServer> {
    this.nats = await startNats(options);
    if (this.nats.pid !== undefined) this.pids.push(this.nats.pid);
    return this.nats;
  }

  stop(options: MeshStopOptions = {}): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const prefix of this.stopFirst) await Promise.all(this.procs.filter((p) => p.name.startsWith(prefix)).map(stopProc));
      await Promise.all(this.procs.map(stopProc));
      for (const host of this.hosts) await host.dispose();
      for (const link of this.links) await link.close();
      await this.nats?.dispose();
      const left = await waitFor('every process to exit', STOP_GRACE_MS, () => (this.pids.some(isAlive) ? undefined : true)).catch(() => false);
      try {
        await options.beforeCleanup?.(this.tmp.path);
      } finally {
        await this.tmp.dispose();
      }
      if (left !== true) throw new Error(`still running after stop(): ${this.pids.filter(isAlive).join(', ')}`);
    })());
  }
}

export async function startLocalMesh(options: LocalMeshOptions): Promise<LocalMesh> {
  if ((options.leadsBelowRoot ?? 0) > 0) return startLeadTree(options);
  const heartbeatMs = options.heartbeatMs ?? 500;
  const seed = options.seed ?? 1;
  const workers = options.workers ?? 0;
  const profiles: readonly (LinkProfiles | undefined)[] = options.linkProfiles?.length
    ? options.linkProfiles
    : Array.from({ length: Math.max(1, options.simProcesses ?? 1) }, () => undefined);
  const tmp: TempDir = await makeTempDir('mesh30k-local-');
  // Agents first (their stop hands held work back), then the lead, then what they use.
  const parts = new MeshParts(tmp, ['sim', 'pi-']);
  const { procs, links, hosts, pids } = parts;
  const stop = (options?: MeshStopOptions): Promise<void> => parts.stop(options);

  try {
    const dir = tmp.path;
    const rootKey = join(dir, 'root.key');
    const leadKey = join(dir, 'lead.key');
    const root = await generateKeyFile(rootKey);
    const lead = await generateKeyFile(leadKey);
    const operator = await createMeshOperator(dir);
    const enrollDir = join(dir, 'enrollments');
    await mkdir(enrollDir);
    await mkdir(join(dir, 'lead-data'));

    const nats = await parts.startNats(options.natsArgs === undefined ? {} : { args: options.natsArgs });

    // Sims first: each writes its signed enrollments before its agents start, and the lead
    // reads the enrollment directory when it starts (later only on SIGHUP). All sims start at
    // once and are awaited together, under the start-up deadline (a big fleet on a busy
    // machine takes tens of seconds to derive its keys and sign its enrollments).
    const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const progress = options.onProgress ?? (() => undefined);
    const enrollStarted = Date.now();
    const agentIds: string[] = [];
    const arrivalFiles: string[] = [];
    // Created once the lead serves: sims started with --start-when wait for it (bootSpreadMs).
    const leadServes = join(dir, 'lead-serves');
    const pendingSims: { k: number; sim: Proc; out: string; count: number }[] = [];
    let remaining = options.agents;
    for (const [k, profile] of profiles.entries()) {
      const count = Math.ceil(remaining / (profiles.length - k));
      remaining -= count;
      if (count === 0) continue;
      const { natsUrl, spec: linkSpec, gateway } = await simLink(profile, nats, seed + k, options.gatewayTap);
      if (gateway !== undefined) links.push(gateway);
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
        ...(options.bootSpreadMs === undefined ? {} : { boot_spread_ms: options.bootSpreadMs }),
        ...linkSpec,
        ...(options.virtualSensors === undefined ? {} : { virtual_sensors: options.virtualSensors }),
        ...(options.processingScenario === undefined ? {} : { processing: { scenario: options.processingScenario } }),
      };
      const specPath = join(dir, `sim-${k}.spec.json`);
      const out = join(dir, `sim-${k}.enrollments.json`);
      await writeFile(specPath, JSON.stringify(spec));
      const arrivals = options.recordArrivals === true ? [join(dir, `sim-${k}.arrivals.jsonl`)] : [];
      arrivalFiles.push(...arrivals);
      const sim = spawnNode(dir, `sim-${k}`, [
        ...(options.simNodeArgs ?? []),
        AGENT_BIN, 'sim', '--nats', natsUrl, '--lead-key', publicKeyText(lead.publicKey), '--spec', specPath,
        '--root-key', rootKey, '--enrollments-out', out, '--report', '1', '--log-level', options.simLogLevel ?? 'warn',
        ...arrivals.flatMap((file) => ['--arrivals-out', file]),
        ...(options.bootSpreadMs === undefined ? [] : ['--start-when', leadServes]),
      ]);
      procs.push(sim);
      if (sim.child.pid !== undefined) pids.push(sim.child.pid);
      pendingSims.push({ k, sim, out, count });
    }
    if (pendingSims.length > 0) progress(`${pendingSims.length} sim process(es) signing the enrollments of ${options.agents} agents`);
    // The sim writes {root_public_key, enrollments: [{agent_id, public_key, enrollment}]};
    // the lead reads files of signed records, so the records are copied out.
    const simEnrollments = await Promise.all(
      pendingSims.map(async ({ k, sim, out, count }) => {
        const entries = await waitFor(`sim-${k}'s enrollments (${count} agents)`, readyTimeoutMs, async () => {
          try {
            return (JSON.parse(await readFile(out, 'utf8')) as { enrollments: { agent_id: string; enrollment: unknown }[] }).enrollments;
          } catch {
            return undefined; // not there yet, or still being written
          }
        }, [sim]);
        await writeFile(join(enrollDir, `sim-${k}.json`), JSON.stringify(entries.map((e) => e.enrollment)));
        progress(`sim-${k}: ${entries.length} enrollments after ${((Date.now() - enrollStarted) / 1000).toFixed(1)} s`);
        return entries.map((e) => e.agent_id);
      }),
    );
    for (const ids of simEnrollments) agentIds.push(...ids);

    if (options.enroll !== undefined) {
      await writeFile(join(enrollDir, 'enrolled-by-caller.json'), JSON.stringify(await options.enroll(root, { leadId: LEAD_ID, clusterId: CLUSTER_ID })));
    }

    const daemonFiles: MeshDaemonFiles[] = [];
    for (let d = 0; d < (options.daemons ?? 0); d++) {
      daemonFiles.push(
        await provisionMeshDaemon({
          agentId: `pi-${d}`, dir: join(dir, `pi-${d}`), root, leadId: LEAD_ID, leadPublicKey: lead.publicKey, clusterId: CLUSTER_ID,
          capabilities: CAPABILITIES, natsUrl: nats.url, heartbeatMs, logLevel: options.daemonLogLevel ?? 'info', enrollDir,
          ...(options.daemonSensors === undefined ? {} : { sensors: options.daemonSensors }),
        }),
      );
    }

    const port = await freePort();
    const config = {
      lead_id: LEAD_ID,
      cluster_id: CLUSTER_ID,
      nats: { servers: [nats.url] },
      key_path: leadKey,
      trust: { root_public_keys: [publicKeyText(root.publicKey)], enrollments: enrollDir },
      data_dir: join(dir, 'lead-data'),
      http: { host: '127.0.0.1', port, allow_plain_http: true },
      api: operatorApiConfig(operator),
      heartbeat: { interval_ms: heartbeatMs },
      ingest: { verify_threads: 1 },
      // Loopback latencies are a few ms that swing several-fold whenever this shared machine
      // is busy: at the default thresholds (CV 0.5, 2x baseline) agents flap between active
      // and degraded. Link emulators and real networks are what these thresholds are for.
      thresholds: { unstable_drift: LOOPBACK_UNSTABLE_DRIFT, spike_factor: LOOPBACK_SPIKE_FACTOR },
      log: { level: 'warn' },
      ...options.leadConfig,
    };
    await writeFile(join(dir, 'lead.json'), JSON.stringify(config, null, 2));
    const leadUrl = `http://127.0.0.1:${port}`;
    const api = operatorApi(leadUrl, operator);
    // Ready when /health/ready answers 200; a restart reuses the config, port and database.
    const leadProc = new RestartableProc('lead', dir, [...(options.leadNodeArgs ?? []), LEAD_BIN, 'run', '--config', join(dir, 'lead.json')], parts, spawnNode, (proc) =>
      waitFor('the lead to be ready', readyTimeoutMs, async () => ((await api.getOk('/health/ready')) !== undefined ? true : undefined), [proc]).then(() => undefined),
    );
    await leadProc.start();
    if (options.bootSpreadMs !== undefined) {
      await writeFile(leadServes, '');
      progress(`lead serves; the sims boot their agents over ${(options.bootSpreadMs / 1000).toFixed(0)} s`);
    }

    // A daemon is started, not awaited: the wait for every agent to be active below covers it.
    const daemons: MeshDaemon[] = daemonFiles.map((files) => ({
      ...files,
      proc: new RestartableProc(files.agentId, dir, [AGENT_BIN, 'run', '--config', files.configPath], parts, spawnNode, () => Promise.resolve()),
    }));
    for (const daemon of daemons) {
      await daemon.proc.start();
      agentIds.push(daemon.agentId);
    }
    // A restart that changes the config first (merging `patch` into its sections), as an operator would.
    const restartLead = async (patch: Record<string, Record<string, unknown>> = {}): Promise<void> => {
      await leadProc.kill('SIGTERM');
      const current = JSON.parse(await readFile(join(dir, 'lead.json'), 'utf8')) as Record<string, Record<string, unknown>>;
      for (const [section, values] of Object.entries(patch)) current[section] = { ...current[section], ...values };
      await writeFile(join(dir, 'lead.json'), JSON.stringify(current, null, 2));
      await leadProc.start();
    };

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
    progress(`lead ready; waiting for ${expected} active agents`);
    let told = Date.now();
    let seen: Record<string, number> = {};
    await waitFor(`${expected} active agents`, readyTimeoutMs, async () => {
      const status = await api.getOk<{ agents: { by_state: Record<string, number> } }>('/v1/status');
      seen = status?.agents.by_state ?? seen;
      if (Date.now() - told >= PROGRESS_EVERY_MS) {
        told = Date.now();
        progress(`agents by state: ${JSON.stringify(seen)} of ${expected}`);
        progress(await startupDiagnosis(api, dir, pendingSims.map((p) => p.k)));
      }
      return (seen.active ?? 0) >= expected ? true : undefined;
    }, procs).catch((error: unknown) => {
      // Say how far start-up got, not only that it timed out.
      throw new Error(`${error instanceof Error ? error.message : String(error)} (last seen by state: ${JSON.stringify(seen)})`, { cause: error });
    });

    return {
      leadUrl,
      operator,
      api,
      natsUrl: nats.url,
      agentIds,
      pids,
      dir,
      arrivalFiles,
      get leadPid() {
        return leadProc.pid;
      },
      nats,
      lead: leadProc,
      daemons,
      leads: [{ leadId: LEAD_ID, url: leadUrl, api, agentIds }],
      restartLead,
      async operation(body, timeoutMs = 20_000) {
        const res = await api.post('/v1/operations', body);
        if (res.status !== 202) throw new Error(`POST /v1/operations: ${res.status} ${JSON.stringify(res.body)}`);
        const location = res.headers.get('location');
        if (location === null) throw new Error('POST /v1/operations: 202 without Location');
        return waitFor(`operation ${location}`, timeoutMs, async () => {
          const view = await api.getOk<OperationView>(location);
          return view !== undefined && (view.state === 'SUCCEEDED' || view.state === 'FAILED') ? view : undefined;
        }, procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null)); // not those a fault test killed
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/**
 * One line on why start-up is slow, while it is: the lead's heartbeat and handshake counters
 * (accepted, refused by code, sessions opened, handshakes refused, limit hits) and each sim's
 * last totals line (agents in session, missed beats by reason, its own event-loop delay).
 */
async function startupDiagnosis(api: LeadApi, dir: string, sims: readonly number[]): Promise<string> {
  const lead: Record<string, number> = {};
  try {
    const page = await api.request('GET', '/metrics');
    const text = typeof page.body === 'string' ? page.body : '';
    for (const { key, value } of parsePromText(text).values()) {
      const m = /^mesh_lead_(heartbeats_accepted_total|heartbeats_in_session_total|sessions_opened_total|heartbeats_refused_total|session_handshakes_refused_total|limit_hits_total|agents_offline_declared_total)(?:\{(?:reason|limit)="([^"]+)"\})?$/.exec(key);
      if (m !== null && value > 0) lead[m[2] === undefined ? m[1]! : `${m[1]!.replace(/_total$/, '')}:${m[2]}`] = value;
    }
  } catch {
    // The lead too busy to answer is itself the diagnosis; the counts stay empty.
  }
  // A few offline agents as the lead sees them: which sim, how long silent, the probe's state.
  let offline = '';
  try {
    const page = await api.getOk<{ agents: { agent_id: string; state_since?: number; last_heartbeat_at?: number | null; missed_beats?: number; probe?: { state?: string } }[] }>('/v1/agents?state=offline&page_size=4');
    const now = Date.now();
    offline = (page?.agents ?? []).map((a) => `${a.agent_id} silent ${a.last_heartbeat_at == null ? '-' : ((now - a.last_heartbeat_at) / 1000).toFixed(0)} s missed ${a.missed_beats ?? '-'} probe ${a.probe?.state ?? '-'}`).join(', ');
  } catch {
    // left empty
  }
  const simLines: string[] = [];
  for (const k of sims) {
    const last = await lastSimTotals(dir, k);
    if (last !== null) simLines.push(`sim-${k} ${JSON.stringify({ inSession: last.sim.inSession, sent: last.sim.heartbeatsSent, missed: last.sim.missedByReason, held: last.sim.heldByReason, hsFailed: last.sim.sessionHandshakesFailed, probes: last.sim.probesAnswered, loop_ms: last.loop_ms })}`);
  }
  return `lead ${JSON.stringify(lead)}; offline e.g. [${offline}]; ${simLines.join('; ')}`;
}

/** The last totals line sim `k` printed to its log in `dir` (once a second), or null when there is none yet. */
export async function lastSimTotals(dir: string, k: number): Promise<{ sim: Record<string, unknown>; loop_ms?: unknown } | null> {
  try {
    const lines = (await readFile(join(dir, `sim-${k}.log`), 'utf8')).split('\n').filter((l) => l.startsWith('{"sim":'));
    return JSON.parse(lines.at(-1) ?? 'null') as { sim: Record<string, unknown>; loop_ms?: unknown } | null;
  } catch {
    return null;
  }
}
