/**
 * bench:lead — the cluster lead's numbers (issue 4, Benchmark):
 *  1. heartbeat ingest with every signature verified (inline and over the verify pool), beside
 *     the raw native verify rate of the same run, with the main event-loop delay; plus a paced
 *     stream at the target rate (6,000/s: 30,000 agents at 5 s) to show the CPU it costs;
 *  2. registry memory per agent;
 *  3. scatter-gather through a real lead process (`mesh-lead run`) to 1,000 / 3,000 / 10,000
 *     virtual agents hosted by `mesh-agent sim` processes, in release modes hold, lead and
 *     none: time from T to the quorum decision and the arrival-error distribution.
 *
 *  0. the lead's CPU per heartbeat under each heartbeat.auth mode, side by side (docs/adr/0004):
 *     ed25519 (every beat verified, every reply signed) and session (HMAC tags), same beats;
 *
 *   npm run bench:lead            (MESH_LEAD_BENCH_SIZES=1000,3000 to stop earlier)
 *   MESH_LEAD_BENCH_PARTS=auth npm run bench:lead     (only part 0; MESH_LEAD_BENCH_AUTH_AGENTS,
 *                                                      MESH_LEAD_BENCH_AUTH_BEATS size it)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, execPath, stdout } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { publicKeyText } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';
import { authModesBench, type AuthModesBench } from '../../packages/cluster-lead/test/bench/auth-modes-bench.js';
import { ingestBench, memory } from '../../packages/cluster-lead/test/bench/registry-bench.js';
import { LeadApi, freePort, makeTempDir, startNats, type NatsServer, type TempDir } from '../harness/index.js';
import { describeMachine } from './lib/machine.js';
import { percentile } from './lib/measure.js';
import { formatTable, writeReport } from './lib/report.js';

const REPO = join(import.meta.dirname, '..', '..');
const LEAD_BIN = join(REPO, 'packages', 'cluster-lead', 'bin', 'mesh-lead.js');
const AGENT_BIN = join(REPO, 'packages', 'pi-daemon', 'bin', 'mesh-agent.js');
const LEAD_ID = 'lead-bench';
const CLUSTER_ID = 'sim-cluster';
const HEARTBEAT_MS = 5_000;
const TARGET_RATE = 6_000;
const TARGET_EFFICIENCY = 0.8;
const MEMORY_TARGET_BYTES = 2_048;
/** Largest fleet one sim process is given (sim-scale: one process at 10,000 missed 42% of its beats). */
const MAX_PER_SIM = 2_500;
const SIZES = (env.MESH_LEAD_BENCH_SIZES ?? '1000,3000,10000').split(',').map(Number);
/** Which parts run: auth (modes side by side), and the rest (ingest, memory, scatter). */
const PARTS = new Set((env.MESH_LEAD_BENCH_PARTS ?? 'auth,rest').split(','));
const AUTH_AGENTS = Number(env.MESH_LEAD_BENCH_AUTH_AGENTS ?? 500);
const AUTH_BEATS = Number(env.MESH_LEAD_BENCH_AUTH_BEATS ?? 20);
const MODES = ['hold', 'lead', 'none'] as const;
const OPS_PER_MODE = 3;
const REGISTER_DEADLINE_MS = 60_000;
const OP_DEADLINE_MS = 20_000;
const CLK_TCK = 100;
const PAGE = 4096;

type Mode = (typeof MODES)[number];

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  lastReport?: SimReport;
}
interface SimReport {
  sim: { agents: number; running: number; synced: number; heartbeatsSent: number; heartbeatsMissed: number; acksSent: number; refused: number };
  rss_mb: number;
  cpu_ms: number;
}
interface OpResult {
  status: string;
  decision: string;
  modes: Record<string, number>;
  counts: { selected: number; sent: number; ready: number; transit: number; conflicts: number; refused: number; stragglers: number; skipped: number };
  arrival: { count: number; window_ms: number; abs: { p50: number; p90: number; p99: number; max: number } | null; hit_rate: number | null };
  timings: { submitted_at: number; started_at: number; target_time: number; decided_at: number; first_send_at: number | null; last_send_at: number | null; target_choice: string; capped: boolean };
}
interface OpFigures {
  mode: Mode;
  operationId: string;
  status: string;
  decision: string;
  selected: number;
  sent: number;
  ready: number;
  stragglers: number;
  /** Mesh-time T to the quorum decision. */
  tToDecisionMs: number;
  /** Start of the operation to T (the lead time the engine chose). */
  startToTMs: number;
  sendSpanMs: number | null;
  arrivalAbs: { p50: number; p90: number; p99: number; max: number } | null;
  hitRate: number | null;
  windowMs: number;
}
interface ProcUsage {
  name: string;
  cpuCores: number;
  rssMb: number;
}
interface StageResult {
  agents: number;
  simProcesses: number;
  registered: { total: number; active: number; ms: number; complete: boolean };
  simSynced: number;
  heartbeats: { expectedPerSec: number; acceptedPerSec: number; refused: Record<string, number>; simMissedDelta: number };
  usage: ProcUsage[];
  /** nats-server's CPU over the window, from /proc (its share apart from the lead's and the sims'). */
  natsCores: number;
  /** CPU per accepted heartbeat over the window (operations included, so an upper bound), µs. */
  cpuUsPerHeartbeat: { lead: number; nats: number };
  nats: { cpu: number; memMb: number; slowConsumers: number } | null;
  apiLatencyMs: { p50: number; p99: number; max: number; samples: number };
  ops: OpFigures[];
  byMode: { mode: Mode; ops: number; tToDecisionP50Ms: number; tToDecisionMaxMs: number; arrivalP50Ms: number; arrivalP90Ms: number; arrivalP99Ms: number; arrivalMaxMs: number; hitRateMin: number; readyShareMin: number }[];
  problems: string[];
}

function spawnLogged(name: string, args: string[], dir: string, onLine?: (line: string) => void): Proc {
  const log = join(dir, `${name}.log`);
  const child = spawn(execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const file = createWriteStream(log);
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    file.write(chunk);
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      onLine?.(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
  child.stderr.pipe(file);
  return { name, child, log };
}

async function stopProc(p: Proc, graceMs = 8_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system, all threads) and RSS of one process, from /proc. */
function procSample(pid: number | undefined): { cpuS: number; rssMb: number } | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpuS: (Number(fields[11]) + Number(fields[12])) / CLK_TCK, rssMb: (Number(fields[21]) * PAGE) / 2 ** 20 };
  } catch {
    return null;
  }
}

/** GET from the lead's API (signed); throws on anything but 2xx. */
async function leadJson<T>(lead: LeadApi, path: string): Promise<T> {
  const res = await lead.request<T>('GET', path);
  if (res.status < 200 || res.status >= 300) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface Status {
  agents: { total: number; by_state: Record<string, number> };
  ingest: { accepted: number; refused: Record<string, number> };
  mesh: { agents_active: number };
}

async function scatter(dir: TempDir, logs: string, nats: NatsServer, natsMonitor: number): Promise<StageResult[]> {
  const rootKey = join(dir.path, 'root.key');
  const leadKey = join(dir.path, 'lead.key');
  const root = await generateKeyFile(rootKey);
  const lead = await generateKeyFile(leadKey);
  const enrollDir = join(dir.path, 'enrollments');
  await mkdir(enrollDir);
  const port = await freePort();
  const operatorKeys = await nodeEd25519.generateKeyPair();
  const config = {
    lead_id: LEAD_ID,
    api: { operators: [{ id: 'bench', public_key: publicKeyText(operatorKeys.publicKey), role: 'operator' }] },
    cluster_id: CLUSTER_ID,
    nats: { servers: [nats.url] },
    key_path: leadKey,
    trust: { root_public_keys: [publicKeyText(root.publicKey)], enrollments: enrollDir },
    data_dir: join(dir.path, 'lead-data'),
    http: { host: '127.0.0.1', port, allow_plain_http: true },
    heartbeat: { interval_ms: HEARTBEAT_MS },
    // This measures capacity, not breaker policy: a breaker opened by one overloaded stage
    // would otherwise silence every later stage. Metrics-only still logs what it would do.
    breakers: { metrics_only: true },
    log: { level: 'warn' },
  };
  await mkdir(config.data_dir);
  await writeFile(join(dir.path, 'lead.json'), JSON.stringify(config, null, 2));
  const api = `http://127.0.0.1:${port}`;
  const leadApi = new LeadApi(api, { operatorId: 'bench', privateKey: operatorKeys.privateKey });
  const leadProc = spawnLogged('lead', [LEAD_BIN, 'run', '--config', join(dir.path, 'lead.json')], logs);
  const sims: Proc[] = [];
  const results: StageResult[] = [];
  try {
    const readyBy = Date.now() + 30_000;
    for (;;) {
      if (leadProc.child.exitCode !== null) throw new Error(`lead exited ${leadProc.child.exitCode}: see ${leadProc.log}`);
      const ok = await fetch(`${api}/health/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > readyBy) throw new Error(`lead not ready in 30 s: see ${leadProc.log}`);
      await sleep(200);
    }
    let hosted = 0;
    for (const size of SIZES) {
      if (leadProc.child.exitCode !== null || leadProc.child.signalCode !== null) break;
      const problems: string[] = [];
      // Add sim processes until `size` agents are hosted, none above MAX_PER_SIM.
      const adding: number[] = [];
      let missing = size - hosted;
      const parts = Math.ceil(missing / MAX_PER_SIM);
      for (let i = 0; i < parts; i++) {
        const n = Math.ceil(missing / (parts - i));
        adding.push(n);
        missing -= n;
      }
      for (const count of adding) {
        const k = sims.length;
        const spec = { lead_id: LEAD_ID, cluster_id: CLUSTER_ID, count, id_prefix: `s${k}`, seed: 100 + k, heartbeat_interval_ms: HEARTBEAT_MS, processing: { median_ms: 20, spread: 0.3 } };
        const specPath = join(dir.path, `sim-${k}.spec.json`);
        const out = join(dir.path, `sim-${k}.enrollments.json`);
        await writeFile(specPath, JSON.stringify(spec));
        const proc: Proc = spawnLogged(
          `sim-${k}`,
          [AGENT_BIN, 'sim', '--nats', nats.url, '--lead-key', publicKeyText(lead.publicKey), '--spec', specPath, '--root-key', rootKey, '--enrollments-out', out, '--report', '2', '--log-level', 'error'],
          logs,
          (line) => {
            if (!line.startsWith('{"sim"')) return;
            try {
              proc.lastReport = JSON.parse(line) as SimReport;
            } catch {
              /* a partial line: the next report replaces it */
            }
          },
        );
        sims.push(proc);
        // The sim writes {root_public_key, enrollments: [{agent_id, public_key, enrollment}]};
        // the lead reads files of signed records (one, or an array), so the records are copied out.
        const by = Date.now() + 60_000;
        let records: unknown[] | undefined;
        while (records === undefined) {
          if (proc.child.exitCode !== null) throw new Error(`sim-${k} exited ${proc.child.exitCode}: see ${proc.log}`);
          if (Date.now() > by) throw new Error(`sim-${k} wrote no enrollments in 60 s`);
          if (existsSync(out)) {
            try {
              records = (JSON.parse(await readFile(out, 'utf8')) as { enrollments: { enrollment: unknown }[] }).enrollments.map((e) => e.enrollment);
            } catch {
              /* still being written */
            }
          }
          if (records === undefined) await sleep(200);
        }
        await writeFile(join(enrollDir, `sim-${k}.json`), JSON.stringify(records));
      }
      leadProc.child.kill('SIGHUP');
      hosted = size;

      // Wait until the lead has every agent active and every sim agent has synced its clock.
      const regStart = Date.now();
      let status = await leadJson<Status>(leadApi, '/v1/status');
      const synced = () => sims.reduce((s, p) => s + (p.lastReport?.sim.synced ?? 0), 0);
      while ((status.agents.total < size || (status.agents.by_state.active ?? 0) < size || synced() < size) && Date.now() - regStart < REGISTER_DEADLINE_MS) {
        await sleep(500);
        status = await leadJson<Status>(leadApi, '/v1/status');
      }
      const registered = { total: status.agents.total, active: status.agents.by_state.active ?? 0, ms: Date.now() - regStart, complete: status.agents.total >= size && (status.agents.by_state.active ?? 0) >= size };
      if (!registered.complete) problems.push(`only ${registered.active} of ${size} agents active at the lead after ${REGISTER_DEADLINE_MS / 1000} s (total ${registered.total}; sims synced ${synced()})`);
      // One more heartbeat interval so the clock views settle, then the measured window.
      await sleep(HEARTBEAT_MS);

      const procs = [leadProc, ...sims];
      // Every counter is read here, at the window's start (not before the settle sleep, which
      // counted one interval too many heartbeats).
      status = await leadJson<Status>(leadApi, '/v1/status');
      const before = procs.map((p) => procSample(p.child.pid));
      const natsBefore = procSample(nats.pid);
      const missedBefore = sims.reduce((s, p) => s + (p.lastReport?.sim.heartbeatsMissed ?? 0), 0);
      const acceptedBefore = status.ingest.accepted;
      const windowStart = Date.now();
      // API latency as a proxy for the lead's event-loop delay (it is another process).
      const apiLatencies: number[] = [];
      let probing = true;
      const prober = (async () => {
        while (probing) {
          const t = performance.now();
          await fetch(`${api}/health/live`).then((r) => r.arrayBuffer(), () => undefined);
          apiLatencies.push(performance.now() - t);
          await sleep(100);
        }
      })();

      const ops: OpFigures[] = [];
      for (const mode of MODES) {
        // The first operation of each mode is a warm-up and is discarded.
        for (let i = 0; i <= OPS_PER_MODE; i++) {
          const fig = await runOperation(leadApi, mode, `${mode}-${size}-${i}`);
          if (typeof fig === 'string') {
            const dead = leadProc.child.exitCode !== null || leadProc.child.signalCode !== null;
            problems.push(`${mode} op ${i}: ${fig}${dead ? ` (lead process exited: code ${leadProc.child.exitCode}, signal ${leadProc.child.signalCode}; log ${leadProc.log})` : ''}`);
            if (dead) break;
            continue;
          }
          if (i > 0) ops.push(fig);
          await sleep(300);
        }
      }
      probing = false;
      await prober;
      // The window's end: counters and CPU read together.
      status = await leadJson<Status>(leadApi, '/v1/status').catch(() => status);
      const windowMs = Date.now() - windowStart;
      const after = procs.map((p) => procSample(p.child.pid));
      const natsAfter = procSample(nats.pid);
      const usage: ProcUsage[] = procs.map((p, i) => {
        const a = before[i];
        const b = after[i];
        return { name: p.name, cpuCores: a && b ? (b.cpuS - a.cpuS) / (windowMs / 1000) : Number.NaN, rssMb: b?.rssMb ?? Number.NaN };
      });
      const varz = await getJson<{ cpu: number; mem: number; slow_consumers: number }>(`http://127.0.0.1:${natsMonitor}/varz`).catch(() => null);
      const expectedPerSec = (size / HEARTBEAT_MS) * 1000;
      const acceptedInWindow = status.ingest.accepted - acceptedBefore;
      const acceptedPerSec = (acceptedInWindow / windowMs) * 1000;
      const leadUsage = usage.find((u) => u.name === 'lead');
      const natsCores = natsBefore && natsAfter ? (natsAfter.cpuS - natsBefore.cpuS) / (windowMs / 1000) : Number.NaN;
      // CPU per heartbeat over a window that also carries the operations: an upper bound.
      const perBeatUs = (cores: number | undefined) => (cores === undefined || acceptedInWindow <= 0 ? Number.NaN : (cores * (windowMs / 1000) * 1e6) / acceptedInWindow);
      if (acceptedPerSec < 0.95 * expectedPerSec) problems.push(`heartbeat load short: lead accepted ${acceptedPerSec.toFixed(0)}/s of ${expectedPerSec.toFixed(0)}/s expected`);
      const missedDelta = sims.reduce((s, p) => s + (p.lastReport?.sim.heartbeatsMissed ?? 0), 0) - missedBefore;
      if (missedDelta > 0) problems.push(`sims report ${missedDelta} heartbeats missed during the window`);
      for (const o of ops) if (o.sent < size) problems.push(`${o.operationId}: sent to ${o.sent} of ${size}`);
      results.push({
        agents: size,
        simProcesses: sims.length,
        registered,
        simSynced: synced(),
        heartbeats: { expectedPerSec, acceptedPerSec, refused: status.ingest.refused, simMissedDelta: missedDelta },
        usage,
        natsCores,
        cpuUsPerHeartbeat: { lead: perBeatUs(leadUsage?.cpuCores), nats: perBeatUs(natsCores) },
        nats: varz === null ? null : { cpu: varz.cpu, memMb: varz.mem / 2 ** 20, slowConsumers: varz.slow_consumers },
        apiLatencyMs: { p50: percentile(apiLatencies, 50), p99: percentile(apiLatencies, 99), max: Math.max(...apiLatencies), samples: apiLatencies.length },
        ops,
        byMode: MODES.map((mode) => {
          const m = ops.filter((o) => o.mode === mode);
          const pick = (f: (o: OpFigures) => number | undefined) => m.map(f).filter((v): v is number => v !== undefined);
          return {
            mode,
            ops: m.length,
            tToDecisionP50Ms: percentile(pick((o) => o.tToDecisionMs), 50),
            tToDecisionMaxMs: extreme(Math.max, pick((o) => o.tToDecisionMs)),
            // Per-operation percentiles over agents; the median operation is reported.
            arrivalP50Ms: percentile(pick((o) => o.arrivalAbs?.p50), 50),
            arrivalP90Ms: percentile(pick((o) => o.arrivalAbs?.p90), 50),
            arrivalP99Ms: percentile(pick((o) => o.arrivalAbs?.p99), 50),
            arrivalMaxMs: extreme(Math.max, pick((o) => o.arrivalAbs?.max)),
            hitRateMin: extreme(Math.min, pick((o) => o.hitRate ?? undefined)),
            readyShareMin: extreme(Math.min, m.map((o) => o.ready / size)),
          };
        }),
        problems,
      });
      stdout.write(`scatter: ${size} agents done (${problems.length} problem(s))\n`);
    }
  } finally {
    for (const s of sims) await stopProc(s);
    await stopProc(leadProc);
  }
  return results;
}

/** Math.max / Math.min of a sample, NaN (printed as '-') when it is empty. */
function extreme(f: (...xs: number[]) => number, xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : f(...xs);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  return cause?.message ?? '';
}

async function runOperation(api: LeadApi, mode: Mode, operationId: string): Promise<OpFigures | string> {
  const body = { operation_id: operationId, verb: 'record', payload: { command: 'bench' }, selector: { all: true }, release_mode: mode, priority: 2, timeout_ms: 5_000 };
  const res = await api.post('/v1/operations', body).catch((error: unknown) => error as Error);
  if (res instanceof Error) return `POST failed: ${res.message} ${causeOf(res)}`;
  if (res.status !== 202) return `POST ${res.status}: ${JSON.stringify(res.body)}`;
  const by = Date.now() + OP_DEADLINE_MS;
  for (;;) {
    await sleep(200);
    let view: { state: string; error?: { code: string; message: string }; result?: OpResult };
    try {
      view = await leadJson(api, `/v1/operations/${operationId}`);
    } catch (error) {
      return `GET failed: ${(error as Error).message} ${causeOf(error)}`;
    }
    if (view.state === 'FAILED') return `refused ${view.error?.code}: ${view.error?.message}`;
    if (view.state === 'SUCCEEDED' && view.result !== undefined) {
      const r = view.result;
      return {
        mode,
        operationId,
        status: r.status,
        decision: r.decision,
        selected: r.counts.selected,
        sent: r.counts.sent,
        ready: r.counts.ready,
        stragglers: r.counts.stragglers,
        tToDecisionMs: r.timings.decided_at - r.timings.target_time,
        startToTMs: r.timings.target_time - r.timings.started_at,
        sendSpanMs: r.timings.first_send_at === null || r.timings.last_send_at === null ? null : r.timings.last_send_at - r.timings.first_send_at,
        arrivalAbs: r.arrival.abs,
        hitRate: r.arrival.hit_rate,
        windowMs: r.arrival.window_ms,
      };
    }
    if (Date.now() > by) return `not decided in ${OP_DEADLINE_MS / 1000} s (state ${view.state})`;
  }
}

function printAuthModes(auth: AuthModesBench): void {
  stdout.write(
    `${formatTable(
      [`heartbeat.auth (${auth.agents} agents, ${auth.heartbeats} beats)`, 'verifier', 'beats measured', 'lead CPU µs / hb', 'hb/s (wall, 512 in flight)'],
      auth.rows.map((r) => [r.mode, r.verifier, r.heartbeats, r.cpuUsPerHeartbeat, r.heartbeatsPerSec]),
    )}\n`,
  );
  stdout.write(`session handshake: ${auth.handshakeCpuUs} µs of lead CPU each; session / ed25519 (inline) per beat: ${(auth.sessionShareOfEd25519 * 100).toFixed(1)}%; ${auth.bytesPerSession} bytes of lead heap per session\n\n`);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const began = performance.now();
  let authModes: AuthModesBench | undefined;
  if (PARTS.has('auth')) {
    stdout.write('bench:lead: heartbeat auth modes...\n');
    authModes = await authModesBench({ agents: AUTH_AGENTS, beatsPerAgent: AUTH_BEATS });
    if (!PARTS.has('rest')) {
      const file = writeReport('lead', { authModes, runtimeS: (performance.now() - began) / 1000 }, startedAt);
      stdout.write(`\nbench:lead  (${describeMachine().cores} cores)\n\n`);
      printAuthModes(authModes);
      stdout.write(`results: ${file}  (${((performance.now() - began) / 1000).toFixed(0)} s)\n`);
      return;
    }
  }
  stdout.write('bench:lead: ingest...\n');
  const ingest = await ingestBench({ pacedRate: TARGET_RATE });
  stdout.write('bench:lead: registry memory...\n');
  const mem = memory();
  stdout.write('bench:lead: scatter-gather...\n');
  const dir = await makeTempDir('mesh30k-lead-bench-');
  const logs = await mkdtemp(join(tmpdir(), 'mesh30k-lead-bench-logs-'));
  stdout.write(`lead and sim logs: ${logs}\n`);
  const natsMonitor = await freePort();
  const nats = await startNats({ args: ['-m', String(natsMonitor)] });
  let stages: StageResult[];
  try {
    stages = await scatter(dir, logs, nats, natsMonitor);
  } finally {
    await nats.dispose();
  }
  await dir.dispose();

  const verdicts = ingest.rows.map((r) => {
    const ceiling = ingest.rawVerifyPerSec * r.coresUsed;
    return { verifier: r.verifier, efficiency: r.heartbeatsPerSec / ceiling, meetsRate: r.heartbeatsPerSec >= TARGET_RATE, meetsEfficiency: r.heartbeatsPerSec >= TARGET_EFFICIENCY * ceiling };
  });
  const file = writeReport(
    'lead',
    { targets: { heartbeatsPerSec: TARGET_RATE, efficiency: TARGET_EFFICIENCY, memoryBytesPerAgent: MEMORY_TARGET_BYTES }, authModes, ingest, verdicts, memory: mem, scatter: stages, runtimeS: (performance.now() - began) / 1000 },
    startedAt,
  );

  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '-');
  const num = (x: number) => (Number.isFinite(x) ? x : '-');
  stdout.write(`\nbench:lead  (${describeMachine().cores} cores)\n\n`);
  if (authModes !== undefined) printAuthModes(authModes);
  stdout.write(
    `${formatTable(
      ['heartbeat ingest (all verified)', 'hb/s', 'cores used', 'x raw*cores', 'main busy', 'loop delay p50', 'p99', 'max', `>= ${TARGET_RATE}`, `>= ${pct(TARGET_EFFICIENCY)}`],
      [
        ['raw native verify, 1 thread', ingest.rawVerifyPerSec, '1.00', '', '', '', '', '', '', ''],
        ...ingest.rows.map((r, i) => [`${r.verifier}, saturated (median of ${r.rounds.length})`, r.heartbeatsPerSec, r.coresUsed.toFixed(2), verdicts[i]!.efficiency.toFixed(2), pct(r.mainThreadBusy), r.loopDelayP50Ms, r.loopDelayP99Ms, r.loopDelayMaxMs, verdicts[i]!.meetsRate ? 'met' : 'MISSED', verdicts[i]!.meetsEfficiency ? 'met' : 'MISSED']),
        // For a paced stream the third figure is the CPU per heartbeat (all threads), µs.
        ...ingest.paced.map((r) => [`${r.verifier}, paced ${Math.round(r.offeredPerSec)}/s (${pct(r.offeredShare)} of asked)`, r.heartbeatsPerSec, r.coresUsed.toFixed(2), `${Math.round((r.coresUsed / r.heartbeatsPerSec) * 1e6)} µs/hb`, pct(r.mainThreadBusy), r.loopDelayP50Ms, r.loopDelayP99Ms, r.loopDelayMaxMs, r.offeredShare >= 0.95 && r.answered === ingest.frames ? 'kept up' : 'BEHIND', `lat p99 ${r.latencyP99Ms.toFixed(1)} ms`]),
      ],
    )}\n\n`,
  );
  stdout.write(`${formatTable(['registry memory', 'bytes / agent', `< ${MEMORY_TARGET_BYTES}`], mem.map((r) => [r.scenario, r.bytesPerAgent, r.bytesPerAgent < MEMORY_TARGET_BYTES ? 'met' : 'MISSED']))}\n\n`);
  const rows: (string | number)[][] = [];
  for (const s of stages) {
    for (const m of s.byMode) {
      rows.push([s.agents, m.mode, m.ops, num(m.tToDecisionP50Ms), num(m.tToDecisionMaxMs), num(m.arrivalP50Ms), num(m.arrivalP90Ms), num(m.arrivalP99Ms), num(m.arrivalMaxMs), pct(m.hitRateMin), pct(m.readyShareMin)]);
    }
  }
  stdout.write(`${formatTable(['agents', 'mode', 'ops', 'T->decision p50 ms', 'max', '|arrival err| p50', 'p90', 'p99', 'max', 'hit rate min', 'ready min'], rows)}\n\n`);
  stdout.write(
    `${formatTable(
      ['agents', 'registered', 'hb/s accepted / expected', 'lead cores', 'lead µs/hb', 'lead RSS MB', 'sims cores', 'nats cores', 'nats µs/hb', 'slow consumers', 'API p50/p99 ms'],
      stages.map((s) => {
        const leadUse = s.usage.find((u) => u.name === 'lead');
        const simCores = s.usage.filter((u) => u.name !== 'lead').reduce((a, u) => a + u.cpuCores, 0);
        return [s.agents, `${s.registered.active}/${s.agents} in ${(s.registered.ms / 1000).toFixed(0)} s`, `${Math.round(s.heartbeats.acceptedPerSec)} / ${Math.round(s.heartbeats.expectedPerSec)}`, leadUse?.cpuCores.toFixed(2) ?? '?', num(s.cpuUsPerHeartbeat.lead), leadUse?.rssMb ?? '?', simCores.toFixed(2), num(s.natsCores), num(s.cpuUsPerHeartbeat.nats), s.nats?.slowConsumers ?? '?', `${s.apiLatencyMs.p50.toFixed(1)} / ${s.apiLatencyMs.p99.toFixed(1)}`];
      }),
    )}\n\n`,
  );
  for (const s of stages) for (const p of s.problems) stdout.write(`problem (${s.agents}): ${p}\n`);
  stdout.write(`\nresults: ${file}  (${((performance.now() - began) / 1000).toFixed(0)} s)\n`);
}

await main();
