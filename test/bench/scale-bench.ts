/**
 * bench:scale — how many simulated agents one lead on this machine carries before something
 * breaks. Each step is a fresh local mesh (nats-server, `mesh-lead run`, `mesh-agent sim`
 * processes of at most 2,500 agents) at the spec's heartbeat interval: heartbeats for a
 * measured window, then one scatter-gather with a 95% quorum. The first step that crosses a
 * limit (scale/verdict.ts) ends the run, and the report says which limit, first. Each step
 * ends with the lead stopped and started again with every agent on record (scale/restart.ts):
 * its store's bytes per agent, the time until its API answers, and until the agents are back.
 * Leads and sims run from bundles built at the start; start-up reports its progress.
 *
 *   npm run bench:scale                 (1k, 2k, 3k, 5k, 8k, 12k ... 30k within the time budget)
 *   npm run bench:scale -- --quick      (500, 1k)
 *   SCALE_SIZES=1000,4000 SCALE_BUDGET_S=300 npm run bench:scale
 *   SCALE_PER_SIM=2500 ...              (agents per sim process, default 5,000)
 *   SCALE_CONTINUE=1 ...                (step on after a broken step, until start-up fails)
 *   SCALE_BOOT_SPREAD_S=5 ...           (the fleet boots over 5 s once the lead serves; default 20)
 *   SCALE_LEAD_PROF=/tmp/prof ...      (a CPU profile of the lead, written when it stops)
 *   SCALE_VERIFY_THREADS=2 ...          (the lead's signature-verify threads; the harness's default is 1)
 *   SCALE_RESTART_TRACE=1 ...           (a line a second while the restarted lead gets its fleet back: scale/restart-trace.ts)
 *   SCALE_LEAD_LOG=info ...             (the lead's log level)
 *   SCALE_KEEP_DIR=/tmp/keep ...        (the mesh's logs and lead data copied to <dir>/<agents> before they are removed)
 *   SCALE_OPS=3 ...                     (scatter only: after start-up and SCALE_OPS_WARMUP_S (default 15), three hold
 *                                        scatter-gathers SCALE_OPS_GAP_S apart (default 5), each taken apart
 *                                        (scale/scatter-figures.ts); no heartbeat window, no restart)
 */
import { cp } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { argv, env, stdout } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startLocalMesh, summarize, type LocalMesh } from '../harness/index.js';
import { checkLoad } from './arrival/load-check.js';
import { submitAndWait } from './arrival/operation-outcome.js';
import { withFreshBundles } from './lib/bundles.js';
import { benchDeadline, msLeft } from './lib/deadline.js';
import { formatTable, writeReport } from './lib/report.js';
import { machineSample, processSample } from './scale/proc.js';
import { measureRestart, type RestartFigures } from './scale/restart.js';
import { traceRestart } from './scale/restart-trace.js';
import { leadLogFields, SCATTER_HEADERS, scatterFigures, scatterRow, simSendFigures, type ScatterFigures } from './scale/scatter-figures.js';
import { breakReasons, contention, LIMITS, type BreakReason, type StepMeasure } from './scale/verdict.js';
import { loopDelayFromMetrics, windowFigures, type WindowEdge } from './scale/window.js';

const QUICK = argv.includes('--quick');
/** SCALE_CONTINUE=1: keep stepping after a step broke (to see how far the machine carries a fleet at all); start-up failures still end the run. */
const CONTINUE = env.SCALE_CONTINUE === '1';
const SIZES = (env.SCALE_SIZES ?? (QUICK ? '500,1000' : '1000,2000,3000,5000,8000,12000,16000,20000,25000,30000')).split(',').map(Number);
/** The whole run; a step that would start after it is not started. */
const BUDGET_MS = Number(env.SCALE_BUDGET_S ?? (QUICK ? 150 : 420)) * 1000;
/** The spec's heartbeat interval (30,000 agents at 5 s is 6,000 heartbeats/s). */
const HEARTBEAT_MS = 5_000;
const MEASURE_MS = 2 * HEARTBEAT_MS;
/**
 * Left out before the window: the agents' start-up bursts (4 fast beats each, which a capped
 * burst budget spreads over up to 4 intervals) and one full interval after them.
 */
const WARMUP_MS = 5 * HEARTBEAT_MS;
/**
 * The fleet boots over this window once the lead serves (SCALE_BOOT_SPREAD_S, default 20 s), as
 * a real fleet powered up together does; start-up counts from the spawn, so it includes it.
 */
const BOOT_SPREAD_MS = Number(env.SCALE_BOOT_SPREAD_S ?? 20) * 1000;
/** Agents per sim process (one sim of 5,000 used about 0.25-0.4 of a core here: npm run bench:sim). */
const MAX_PER_SIM = Number(env.SCALE_PER_SIM ?? 5_000);
/** Each start-up stage (sims' enrollments, lead ready, every agent active) may take this, scaled to the fleet. */
const READY_BASE_MS = 60_000;
const READY_PER_AGENT_MS = 10;
/** After the scatter-gather the lead is restarted with every agent on record; this long for it to serve and the agents to return. */
const RESTART_TIMEOUT_MS = 60_000;
const RESTART_BACK_SHARE = 0.99;
const PROBE_EVERY_MS = 100;
/** Scatter-only runs (SCALE_OPS): how many hold operations, the warm-up before them and the gap between them. */
const OPS = Number(env.SCALE_OPS ?? 0);
const OPS_WARMUP_MS = Number(env.SCALE_OPS_WARMUP_S ?? 15) * 1000;
const OPS_GAP_MS = Number(env.SCALE_OPS_GAP_S ?? 5) * 1000;
/** A step after start-up, typically: the measured window, the scatter-gather, stopping the mesh. */
const STEP_AFTER_STARTUP_MS = OPS > 0 ? OPS_WARMUP_MS + OPS * (OPS_GAP_MS + 15_000) + 10_000 : WARMUP_MS + MEASURE_MS + 10_000 + 10_000 + RESTART_TIMEOUT_MS;
/** Kept free before the runner's deadline for writing the report. */
const RESERVE_MS = 5_000;
const MIN_STARTUP_MS = 15_000;
const HOLD_OPERATION = { verb: 'record', payload: { command: 'scale' }, selector: { all: true }, release_mode: 'hold', min_response_rate: 0.95, timeout_ms: 10_000 } as const;

export interface ScaleStep extends StepMeasure {
  startupS: number;
  /** The lead restarted with every agent on record (null when the step failed before). */
  restart: RestartFigures | null;
  reasons: BreakReason[];
  error?: string;
  /** Scatter-only runs: each hold operation taken apart. */
  scatter?: ScatterFigures[];
}

export interface ScaleResults {
  heartbeatMs: number;
  /** Left out after start-up, before the measured window. */
  warmupMs: number;
  measureMs: number;
  limits: typeof LIMITS;
  sizesAsked: number[];
  steps: ScaleStep[];
  /** The first size at which a limit was crossed, and which; null if none broke. */
  brokeAt: { agents: number; first: BreakReason; all: BreakReason[] } | null;
  /** Sizes not run because the time budget was spent (or an earlier step broke). */
  notRun: number[];
}

/** The sim processes: every process the mesh started but the lead and nats-server. */
function simPids(mesh: LocalMesh): number[] {
  return mesh.pids.filter((pid) => pid !== mesh.leadPid && pid !== mesh.nats?.pid);
}

async function slowConsumers(monitorPort: number): Promise<number | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${monitorPort}/varz`);
    return ((await res.json()) as { slow_consumers?: number }).slow_consumers ?? null;
  } catch {
    return null;
  }
}

/** One line on how the scatter-gather went: state, counts, timings, why agents were skipped. */
async function operationSummary(mesh: LocalMesh, operationId: string): Promise<string> {
  const view = await mesh.api.getOk<{ state?: string; result?: { status?: string; counts?: unknown; timings?: unknown; skipped?: { reason?: string }[]; quorum?: unknown } | null; refusal?: unknown; error?: unknown }>(`/v1/operations/${operationId}`);
  const skips: Record<string, number> = {};
  for (const skip of view?.result?.skipped ?? []) skips[skip.reason ?? '?'] = (skips[skip.reason ?? '?'] ?? 0) + 1;
  const { result } = view ?? {};
  return JSON.stringify({ state: view?.state, status: result?.status, counts: result?.counts, quorum: result?.quorum, timings: result?.timings, skips, refusal: view?.refusal, error: view?.error });
}

/** Times GET /health/live until `stop` resolves: its p99 is the lead's event-loop delay seen from outside. */
async function probeApi(mesh: LocalMesh, done: { stop: boolean }): Promise<number[]> {
  const times: number[] = [];
  while (!done.stop) {
    const t = performance.now();
    await mesh.api.getOk('/health/live');
    times.push(performance.now() - t);
    await sleep(PROBE_EVERY_MS);
  }
  return times;
}

async function step(agents: number, readyTimeoutMs: number): Promise<ScaleStep> {
  const monitor = await freePort();
  const started = Date.now();
  const simCount = Math.ceil(agents / MAX_PER_SIM);
  let mesh: LocalMesh;
  try {
    mesh = await startLocalMesh({
      agents,
      simProcesses: simCount,
      heartbeatMs: HEARTBEAT_MS,
      readyTimeoutMs,
      onProgress: (what) => stdout.write(`[scale] ${agents}: ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`),
      natsArgs: ['-m', String(monitor)],
      seed: 70_000 + agents,
      bootSpreadMs: BOOT_SPREAD_MS,
      // Scatter-only runs also read when each sim handed each READY to its NATS client.
      ...(OPS > 0 ? { recordArrivals: true } : {}),
      // Scatter-only runs read the lead's "operation started/completed" lines, which are at info.
      // SCALE_LEAD_LOG=<level> sets the lead's log level (e.g. info, to time its start-up).
      leadConfig: {
        breakers: { metrics_only: true },
        ...(OPS > 0 || env.SCALE_LEAD_LOG !== undefined ? { log: { level: env.SCALE_LEAD_LOG ?? 'info' } } : {}),
        // SCALE_VERIFY_THREADS: the lead's verify threads (the harness runs 1; the product's default is 2).
        ...(env.SCALE_VERIFY_THREADS === undefined ? {} : { ingest: { verify_threads: Number(env.SCALE_VERIFY_THREADS) } }),
      },
      // SCALE_LEAD_PROF=<dir>: a CPU profile of the lead, written when it stops.
      ...(env.SCALE_LEAD_PROF === undefined ? {} : { leadNodeArgs: ['--cpu-prof', '--cpu-prof-dir', env.SCALE_LEAD_PROF] }),
    });
  } catch (error) {
    // Start-up itself is what broke: the harness stopped what it had started.
    const message = error instanceof Error ? error.message : String(error);
    const failed: StepMeasure = {
      agents, registered: false, meshCpuShare: Number.NaN, machineCpuBusy: Number.NaN, leadCpuCores: Number.NaN, simsCpuCores: Number.NaN, natsCpuCores: Number.NaN,
      leadCpuUsPerHeartbeat: Number.NaN, loopDelayMaxMs: Number.NaN, leadRssMb: Number.NaN, apiP99Ms: Number.NaN, slowConsumers: null, active: 0, degraded: 0, offline: 0, quarantined: 0,
      heartbeatRateAsked: (agents * 1000) / HEARTBEAT_MS, heartbeatRateAchieved: 0, heartbeatRateSent: 0, heartbeatsMissed: 0, scatterSucceeded: false, scatterReadyShare: 0,
    };
    return { ...failed, startupS: (Date.now() - started) / 1000, restart: null, reasons: [{ kind: 'startup', detail: message.slice(0, 200) }], error: message };
  }
  try {
    const startupS = (Date.now() - started) / 1000;
    if (OPS > 0) return { ...unmeasured(agents), startupS, restart: null, reasons: [], scatter: await scatterOnly(mesh, agents) };
    // Warm-up, not measured: every agent's start-up burst (fast beats until its clock has a few
    // samples) and the first full interval, so the window sees the steady rate of 1 per interval.
    await sleep(WARMUP_MS);
    const sims = simPids(mesh);
    const edge = async (): Promise<WindowEdge> => {
      const status = await mesh.api.getOk<{ ingest: { accepted: number } }>('/v1/status');
      return {
        atMs: performance.now(),
        accepted: status?.ingest.accepted ?? Number.NaN,
        leadCpuS: processSample(mesh.leadPid).cpuS,
        simsCpuS: sims.reduce((sum, pid) => sum + processSample(pid).cpuS, 0),
        natsCpuS: processSample(mesh.nats?.pid).cpuS,
      };
    };
    // The lead's loop-delay histogram at the window's start; its growth to the end gives the worst delay.
    const pageBefore = (await mesh.api.request('GET', '/metrics').catch(() => undefined))?.body;
    const since = Date.now();
    const machine0 = machineSample();
    const edge0 = await edge();
    const done = { stop: false };
    const probing = probeApi(mesh, done);
    await sleep(MEASURE_MS);
    const edge1 = await edge();
    const machine1 = machineSample();
    const until = Date.now();
    const loopDelayMaxMs = loopDelayFromMetrics(pageBefore, (await mesh.api.request('GET', '/metrics').catch(() => undefined))?.body);
    done.stop = true;
    const api = summarize(await probing);
    const win = windowFigures(edge0, edge1);
    const { id: operationId, outcome } = await submitAndWait(
      mesh.api,
      { operation_id: `scale-${agents}`, ...HOLD_OPERATION },
      25_000,
    );
    stdout.write(`[scale] ${agents}: scatter-gather ${await operationSummary(mesh, operationId)}\n`);
    const status = await mesh.api.getOk<{ agents: { by_state: Record<string, number> } }>('/v1/status');
    const byState = status?.agents.by_state ?? {};
    const active = byState.active ?? 0;
    const load = await checkLoad(
      Array.from({ length: simCount }, (_, k) => join(mesh.dir, `sim-${k}.log`)),
      { agents, active, heartbeatMs: HEARTBEAT_MS, operations: 1, settled: outcome.settled ? 1 : 0, since, until },
    );
    const measure: StepMeasure = {
      agents,
      registered: true,
      meshCpuShare: (win.leadCores + win.simsCores + win.natsCores) / cpus().length,
      machineCpuBusy: (machine1.busy - machine0.busy) / (machine1.total - machine0.total),
      leadCpuCores: win.leadCores,
      simsCpuCores: win.simsCores,
      natsCpuCores: win.natsCores,
      leadCpuUsPerHeartbeat: win.leadCpuUsPerHeartbeat,
      loopDelayMaxMs,
      leadRssMb: processSample(mesh.leadPid).rssMb,
      apiP99Ms: api.p99,
      slowConsumers: await slowConsumers(monitor),
      active,
      degraded: byState.degraded ?? 0,
      offline: byState.offline ?? 0,
      quarantined: byState.quarantined ?? 0,
      heartbeatRateAsked: load.heartbeatRateAsked,
      heartbeatRateAchieved: win.acceptedPerSec,
      heartbeatRateSent: load.heartbeatRateAchieved,
      heartbeatsMissed: load.heartbeatsMissed,
      scatterSucceeded: outcome.succeeded,
      scatterReadyShare: outcome.responders / agents,
    };
    // Last: the lead stopped and started again with every agent on record.
    const lead = mesh.lead;
    const tracing = { stop: false };
    const trace = env.SCALE_RESTART_TRACE === '1' ? traceRestart(mesh.api, mesh.dir, simCount, tracing, (line) => stdout.write(line)) : Promise.resolve();
    const restart = lead === undefined ? null : await measureRestart(
      { api: mesh.api, agents, dataDir: join(mesh.dir, 'lead-data'), stop: () => lead.kill('SIGTERM'), start: () => lead.start() },
      { timeoutMs: RESTART_TIMEOUT_MS, backShare: RESTART_BACK_SHARE },
    );
    tracing.stop = true;
    await trace;
    stdout.write(`[scale] ${agents}: restart: API after ${restart?.apiServesS.toFixed(1)} s, ready ${restart?.readyS.toFixed(1)} s, ${RESTART_BACK_SHARE * 100}% active again ${restart?.agentsBackS.toFixed(1)} s, ${RESTART_BACK_SHARE * 100}% in session ${restart?.inSessionShareS.toFixed(1)} s, all ${restart?.inSessionAllS.toFixed(1)} s (${restart?.inSessionAtEnd} at the end)\n`);
    return { ...measure, startupS, restart, reasons: breakReasons(measure) };
  } finally {
    const keep = env.SCALE_KEEP_DIR;
    await mesh.stop(keep === undefined ? {} : { beforeCleanup: (dir) => cp(dir, join(keep, String(agents)), { recursive: true }) });
  }
}

function unmeasured(agents: number): StepMeasure {
  return {
    agents, registered: true, meshCpuShare: Number.NaN, machineCpuBusy: Number.NaN, leadCpuCores: Number.NaN, simsCpuCores: Number.NaN, natsCpuCores: Number.NaN,
    leadCpuUsPerHeartbeat: Number.NaN, loopDelayMaxMs: Number.NaN, leadRssMb: Number.NaN, apiP99Ms: Number.NaN, slowConsumers: null, active: 0, degraded: 0, offline: 0, quarantined: 0,
    heartbeatRateAsked: (agents * 1000) / HEARTBEAT_MS, heartbeatRateAchieved: Number.NaN, heartbeatRateSent: Number.NaN, heartbeatsMissed: 0, scatterSucceeded: false, scatterReadyShare: 0,
  };
}

/** SCALE_OPS: hold scatter-gathers only, each printed as it is decided. */
async function scatterOnly(mesh: LocalMesh, agents: number): Promise<ScatterFigures[]> {
  await sleep(OPS_WARMUP_MS);
  const figures: ScatterFigures[] = [];
  for (let n = 1; n <= OPS; n++) {
    // Polled once a second: reading a running operation's record costs the lead tens of ms at this size.
    const { id } = await submitAndWait(mesh.api, { operation_id: `scale-${agents}-${n}`, ...HOLD_OPERATION }, 25_000, 1_000);
    // The lead writes its log itself; the decision's line is there by the time the view says settled, give or take a flush.
    await sleep(500);
    const view = await mesh.api.getOk<unknown>(`/v1/operations/${id}`);
    const f = { ...scatterFigures(view, await leadLogFields(join(mesh.dir, 'lead.log'), id)), ...(await simSendFigures(mesh.arrivalFiles, id)) };
    figures.push(f);
    stdout.write(`[scale] ${agents}: ${SCATTER_HEADERS.map((h, i) => `${h}: ${scatterRow(f)[i]}`).join(' | ')}\n`);
    if (n < OPS) await sleep(OPS_GAP_MS);
  }
  return figures;
}

export async function runScaleBench(): Promise<ScaleResults> {
  const began = Date.now();
  const steps: ScaleStep[] = [];
  let brokeAt: ScaleResults['brokeAt'] = null;
  const deadline = benchDeadline();
  for (const agents of SIZES) {
    // Start-up gets what the runner's deadline leaves after the rest of the step.
    const readyTimeoutMs = Math.min(READY_BASE_MS + READY_PER_AGENT_MS * agents, msLeft(deadline, RESERVE_MS + STEP_AFTER_STARTUP_MS));
    if ((brokeAt !== null && !CONTINUE) || Date.now() - began > BUDGET_MS || readyTimeoutMs < MIN_STARTUP_MS) break;
    stdout.write(`[scale] ${agents} agents...\n`);
    const s = await step(agents, readyTimeoutMs);
    steps.push(s);
    stdout.write(`[scale] ${agents}: ${s.reasons.length === 0 ? 'ok' : s.reasons.map((r) => `${r.kind}: ${r.detail}`).join('; ')}\n`);
    if (s.reasons.length > 0) brokeAt ??= { agents, first: s.reasons[0]!, all: s.reasons };
    // Past a failed start-up a bigger fleet will not start either.
    if (!s.registered) break;
  }
  const notRun = SIZES.slice(steps.length);
  return { heartbeatMs: HEARTBEAT_MS, warmupMs: WARMUP_MS, measureMs: MEASURE_MS, limits: LIMITS, sizesAsked: SIZES, steps, brokeAt, notRun };
}

export function printScale(r: ScaleResults): void {
  if (OPS > 0) {
    const rows = r.steps.flatMap((s) => (s.scatter ?? []).map((f) => [String(s.agents), ...scatterRow(f)]));
    stdout.write(`\nScale, scatter only: ${OPS} hold operations per size after ${OPS_WARMUP_MS / 1000} s warm-up (95% quorum)\n\n${formatTable(['agents', ...SCATTER_HEADERS], rows)}\n`);
    return;
  }
  const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '-');
  stdout.write(`\nScale: heartbeats every ${r.heartbeatMs / 1000} s, ${r.warmupMs / 1000} s warm-up left out (start-up bursts), ${r.measureMs / 1000} s measured per step, then one hold scatter-gather (95% quorum)\n\n`);
  stdout.write(
    `${formatTable(
      ['agents', 'start-up s', 'mesh CPU', 'machine CPU', 'lead / sims / nats cores', 'lead µs/hb', 'lead RSS MB', 'store B/agent', 'API p99 ms', 'loop max ms', 'slow cons.', 'active', 'degraded', 'offline', 'quarant.', 'hb/s lead got / sims sent / asked', 'missed', 'quorum', 'restart: API / ready / active / in session 99% / all s', 'verdict'],
      r.steps.map((s) => [
        String(s.agents), s.startupS, pct(s.meshCpuShare), pct(s.machineCpuBusy), `${s.leadCpuCores.toFixed(2)} / ${s.simsCpuCores.toFixed(2)} / ${s.natsCpuCores.toFixed(2)}`, s.leadCpuUsPerHeartbeat, s.leadRssMb,
        s.restart === null ? '-' : Math.round(s.restart.storeBytesPerAgent), s.apiP99Ms, s.loopDelayMaxMs,
        s.slowConsumers === null ? '-' : String(s.slowConsumers), `${s.active}/${s.agents}`, String(s.degraded), String(s.offline), String(s.quarantined),
        `${Math.round(s.heartbeatRateAchieved)} / ${Math.round(s.heartbeatRateSent)} / ${Math.round(s.heartbeatRateAsked)}`, String(s.heartbeatsMissed),
        s.scatterSucceeded ? `SUCCESS (${pct(s.scatterReadyShare)})` : `no (${pct(s.scatterReadyShare)})`,
        s.restart === null ? '-' : [s.restart.apiServesS, s.restart.readyS, s.restart.agentsBackS, s.restart.inSessionShareS, s.restart.inSessionAllS].map((x) => (Number.isFinite(x) ? x.toFixed(1) : 'never')).join(' / '), s.reasons.length === 0 ? 'ok' : `BROKE: ${s.reasons.map((x) => x.kind).join(', ')}`,
      ]),
    )}\n`,
  );
  stdout.write(r.steps.length === 0 ? '\nno step ran: the time budget was spent' : r.brokeAt === null ? `\nnothing broke up to ${r.steps.at(-1)?.agents ?? 0} agents` : `\nbroke first at ${r.brokeAt.agents} agents: ${r.brokeAt.first.kind} (${r.brokeAt.first.detail})`);
  stdout.write(r.notRun.length > 0 ? `; not run: ${r.notRun.join(', ')}\n` : '\n');
  const broken = r.steps.at(-1);
  const caveat = r.brokeAt !== null && broken !== undefined ? contention(broken) : null;
  if (caveat !== null) stdout.write(`caveat: ${caveat}\n`);
}

if (import.meta.url === `file://${argv[1]}`) {
  const startedAt = new Date();
  const results = await withFreshBundles(runScaleBench);
  printScale(results);
  stdout.write(`\nwritten: ${writeReport('scale', results, startedAt)}\n`);
  process.exit(0);
}
