/**
 * bench:arrival — the end-to-end arrival benchmark. A whole local mesh per network profile
 * (nats-server, `mesh-lead run`, `mesh-agent sim` processes behind link emulators, agents of
 * classes A-E with clocks skewed by up to 2 s and drifting up to 50 ppm), driven through the
 * lead's API, in release modes hold, lead and none (the naive baseline), interleaved.
 *
 * The error is the TRUE one: each sim records, per agent and operation, the machine-clock
 * instant its handler was released (`--arrivals-out`), and the error is that minus T. What the
 * agents report about themselves is not used. Also: the agents' offset-estimation error
 * against their simulated skew, and the spec's KPIs.
 *
 *   npm run bench:arrival                   (1,000 agents, every profile)
 *   npm run bench:arrival -- --quick        (fewer agents and operations)
 *   ARRIVAL_AGENTS=200 ARRIVAL_OPS=4 ARRIVAL_PROFILES=lan,mixed npm run bench:arrival
 *   ARRIVAL_OBSERVER_OUT=rows.jsonl ...   (every release as recorded and as observed, one JSON line each)
 *   ARRIVAL_LINES_OUT=lines.jsonl ...     (the sims' arrival records as written, with the run's label)
 *   ARRIVAL_SIM_PROF_DIR=dir ...          (a V8 CPU profile of every sim process, written when it stops)
 *   ARRIVAL_LEAD_NICE=5 ...               (the lead's nice value during hold operations, e.g. 5; 0, the default, leaves it; arrival/lead-priority.ts)
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { argv, env, stdout } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_MEDIAN_MIN_SAMPLES } from '@mesh30k/shared';
import { startLocalMesh, summarize, type LocalMesh } from '../harness/index.js';
import { LEAD_ID } from '../harness/local-mesh.js';
import { AckObserver } from './arrival/ack-observer.js';
import { GatewayTap, withGatewayHolds } from './arrival/gateway-tap.js';
import { DEFAULT_LEAD_NICE, setProcessNice } from './arrival/lead-priority.js';
import { observedChecks, observedRows, observerResult, type ObserverResult } from './arrival/observed.js';
import { printObserved } from './arrival/print-observed.js';
import { checkLoad, type LoadCheck } from './arrival/load-check.js';
import { submitAndWait } from './arrival/operation-outcome.js';
import { NETWORK_PROFILES, profileNamed, type NetworkProfile } from './arrival/profiles.js';
import { modeFigures, thin, type ArrivalLine, type MeasuredOperation, type ModeFigures } from './arrival/stats.js';
import { checkTargets, type TargetCheck } from './arrival/targets.js';
import { printArrival } from './arrival/print.js';
import { oracleFigures, type OracleFigures } from './arrival/oracle.js';
import { fetchSendTimes, type SendTimes } from './arrival/send-times.js';
import { runLabel, scenarioChecks, scenariosFrom, type ProcessingScenario } from './arrival/scenarios.js';
import { withFreshBundles } from './lib/bundles.js';
import { benchDeadline, msLeft } from './lib/deadline.js';
import { writeReport } from './lib/report.js';

const QUICK = argv.includes('--quick');
const AGENTS = Number(env.ARRIVAL_AGENTS ?? (QUICK ? 300 : 1_000));
const OPS_PER_MODE = Number(env.ARRIVAL_OPS ?? (QUICK ? 4 : 10));
export const MODES = ['hold', 'lead', 'none'] as const;
/**
 * Warm-up operations per mode, discarded: at least enough that every agent has answered
 * DEFAULT_MEDIAN_MIN_SAMPLES operations before the first measured one (every mode's ACK carries
 * a processing time), so lead mode is judged on its learned median, not on the blend with the
 * class prior a new agent starts from.
 */
const WARMUP_PER_MODE = Math.max(Number(env.ARRIVAL_WARMUP ?? (QUICK ? 1 : 2)), Math.ceil(DEFAULT_MEDIAN_MIN_SAMPLES / MODES.length));
const PROFILES = (env.ARRIVAL_PROFILES?.split(',') ?? NETWORK_PROFILES.map((p) => p.name)).map(profileNamed);
/** Processing scenarios, each a run of every profile: independent draws and the realistic model. */
const SCENARIOS = scenariosFrom(env.ARRIVAL_SCENARIOS);
/** Bounds one profile's whole run, start-up included: past it, no further operation is started. */
const PROFILE_BUDGET_MS = Number(env.ARRIVAL_PROFILE_BUDGET_MS ?? (QUICK ? 90_000 : 180_000));
const WINDOW_MS = 50;
/**
 * Heartbeat interval by profile: a beat times out after 2 s, so slow links beat less often.
 * 1,000 agents at 500 ms (2,000 beats/s) were more than this 2-core machine carries beside the
 * lead (the load check said NOT REACHED), so no profile beats faster than 1.5 s.
 */
const PROFILE_HEARTBEAT_MS: Record<NetworkProfile['name'], number> = { lan: 1_500, asymmetric: 1_500, mixed: 1_500, cellular: 2_000, gateway: 1_500 };
/**
 * The fleet's heartbeats per second at most: past it, a profile beats less often. 1,000 agents
 * at 1.5 s (667/s) were at the edge even on the quiet machine (asymmetric got 572/s, cellular
 * 421 of 500), and with other work on the two cores the sims fell to 249/s (11/s at load 27-34)
 * while waiting for a CPU for 100 ms at the median: beats then time out and the clock filters
 * starve. 400/s is 2.5 s at 1,000 agents; the clock filter's 32 samples then span 80 s, with
 * drift corrected. ARRIVAL_HEARTBEAT_MS sets one interval for every profile instead.
 */
const MAX_FLEET_BEATS_PER_S = 400;
const HEARTBEAT_MS: Record<NetworkProfile['name'], number> = Object.fromEntries(
  Object.entries(PROFILE_HEARTBEAT_MS).map(([name, ms]) => [name, env.ARRIVAL_HEARTBEAT_MS === undefined ? Math.max(ms, Math.ceil((AGENTS * 1_000) / MAX_FLEET_BEATS_PER_S)) : Number(env.ARRIVAL_HEARTBEAT_MS)]),
) as Record<NetworkProfile['name'], number>;
/** After every agent is active: heartbeats enough for the clock filters to settle. */
const SYNC_BEATS = 6;
/** Kept free before the runner's deadline: stopping a mesh and writing the report. */
const RESERVE_MS = 15_000;
/** Least time a profile needs: start-up, sync and a few operations. */
const PROFILE_MIN_MS = 45_000;
const OPERATION_TIMEOUT_MS = 8_000;
const LEAD_NICE = Number(env.ARRIVAL_LEAD_NICE ?? DEFAULT_LEAD_NICE);
const SEED = 30_007;

export interface ProfileResult {
  /** The row label: the network profile, with the scenario unless it is the independent one. */
  profile: string;
  /** The network profile and processing scenario (absent in older results: the profile, independent). */
  network?: string;
  scenario?: ProcessingScenario;
  /** Lead mode against the oracle on the same draws (absent in older results). */
  oracle?: OracleFigures | null;
  description: string;
  halfAsymmetryMs: number;
  modes: ModeFigures[];
  checks: TargetCheck[];
  load: LoadCheck;
  /** Operations that ended without a result (refused, timed out), with why. */
  problems: string[];
  /** True when the budget stopped the run before every operation was made. */
  truncated: boolean;
  /** Sorted |error| samples per mode, thinned, for the plot. */
  samples: Record<string, number[]>;
  /** Each measured operation's signed error median and spread: shows whether a tail is one bad operation. */
  perOperation: { operationId: string; mode: string; n: number; signedP50: number; signedMin: number; signedMax: number }[];
  /** What an observer on nats-server saw of the READYs (absent in older results). */
  observer?: ObserverResult;
}

export interface ArrivalResults {
  agents: number;
  classes: string;
  windowMs: number;
  warmupPerMode: number;
  opsPerMode: number;
  heartbeatMs: Record<string, number>;
  clock: { offsetMs: number; driftPpm: number };
  quick: boolean;
  /** Processing scenarios run (absent in older results: independent only). */
  scenarios?: ProcessingScenario[];
  profiles: ProfileResult[];
  /** Profiles that could not be measured, and why. */
  failed: { profile: string; error: string }[];
}

async function activeAgents(mesh: LocalMesh): Promise<number> {
  const status = await mesh.api.getOk<{ agents: { by_state: Record<string, number> } }>('/v1/status');
  return status?.agents.by_state.active ?? 0;
}

async function readArrivals(files: readonly string[]): Promise<ArrivalLine[]> {
  const lines: ArrivalLine[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (line.length > 0) lines.push(JSON.parse(line) as ArrivalLine);
  }
  return lines;
}

async function runProfile(profile: NetworkProfile, scenario: ProcessingScenario, deadline: number): Promise<ProfileResult> {
  const started = Date.now();
  const label = runLabel(profile.name, scenario);
  stdout.write(`\n[${label}] starting ${AGENTS} agents over ${profile.links.length} link(s), ${scenario} processing...\n`);
  // A gateway's link lives here, not in the sim: what it held each ACK for is read off its uplink.
  const gatewayTap = profile.links.some((l) => l.gateway === true) ? new GatewayTap() : undefined;
  const mesh = await startLocalMesh({
    ...(gatewayTap === undefined ? {} : { gatewayTap: gatewayTap.onChunk }),
    agents: AGENTS,
    classes: { A: 1, B: 1, C: 1, D: 1, E: 1 },
    linkProfiles: profile.links,
    heartbeatMs: HEARTBEAT_MS[profile.name],
    seed: SEED,
    readyTimeoutMs: 120_000,
    recordArrivals: true,
    processingScenario: scenario,
    // This measures arrival, not breaker policy: a breaker opened by one late operation would
    // block every later one. Metrics-only still logs what it would have done.
    leadConfig: { breakers: { metrics_only: true } },
    ...(env.ARRIVAL_SIM_PROF_DIR === undefined ? {} : { simNodeArgs: ['--cpu-prof', '--cpu-prof-dir', join(env.ARRIVAL_SIM_PROF_DIR, label)] }),
  });
  let observer: AckObserver | undefined;
  try {
    observer = await AckObserver.start(mesh.natsUrl, LEAD_ID);
    stdout.write(`[${label}] observer ${observer.prioritized ? 'at a raised priority (nice -10)' : 'at the default priority (raising it was refused)'}\n`);
    // The lead's priority follows the release mode of the operation under way (lead-priority.ts).
    const leadPid = mesh.leadPid;
    let leadNice = LEAD_NICE !== 0 && leadPid !== undefined;
    const leadPriorityFor = (mode: (typeof MODES)[number]): void => {
      if (!leadNice || leadPid === undefined) return;
      if (setProcessNice(leadPid, mode === 'hold' ? LEAD_NICE : 0)) return;
      leadNice = false;
      stdout.write(`[${label}] the lead's priority could not be changed: it runs at the default priority\n`);
    };
    if (leadNice) stdout.write(`[${label}] lead at nice ${LEAD_NICE} during hold operations, at the default priority otherwise\n`);
    await sleep(SYNC_BEATS * HEARTBEAT_MS[profile.name]);
    const active = await activeAgents(mesh);
    const measuringSince = Date.now();
    const measured: MeasuredOperation[] = [];
    const problems: string[] = [];
    const sendTimes: SendTimes = new Map();
    let asked = 0;
    let truncated = false;
    // Modes interleaved, so load that comes and goes on a shared machine hits all three alike.
    outer: for (let i = 0; i < WARMUP_PER_MODE + OPS_PER_MODE; i++) {
      for (const mode of MODES) {
        if (Date.now() - started > PROFILE_BUDGET_MS || msLeft(deadline, RESERVE_MS) < OPERATION_TIMEOUT_MS) {
          truncated = true;
          break outer;
        }
        asked++;
        const operationId = `arr-${profile.name}-${mode}-${i}-${Date.now()}`;
        const body = { operation_id: operationId, verb: 'record', payload: { command: 'arm' }, selector: { all: true }, release_mode: mode, window_ms: WINDOW_MS, min_response_rate: 0.95, timeout_ms: OPERATION_TIMEOUT_MS };
        leadPriorityFor(mode);
        const { id, outcome } = await submitAndWait(mesh.api, body, OPERATION_TIMEOUT_MS + 10_000);
        if (mode === 'lead') sendTimes.set(operationId, await fetchSendTimes(mesh.api, id));
        stdout.write(`[${profile.name}] ${mode} #${i}${i < WARMUP_PER_MODE ? ' (warm-up)' : ''}: ${outcome.succeeded ? 'SUCCESS' : 'no success'}, ${outcome.responders} responders, ${outcome.stragglers} stragglers${outcome.problem === null ? '' : `, ${outcome.problem}`}\n`);
        if (outcome.problem !== null || outcome.targetTime === null) {
          problems.push(`${operationId}: ${outcome.problem ?? 'no T in the result'}`);
          continue;
        }
        if (i >= WARMUP_PER_MODE) measured.push({ operationId, mode, targetTime: outcome.targetTime, targeted: mesh.agentIds.length, succeeded: outcome.succeeded, stragglers: outcome.stragglers });
      }
    }
    await sleep(500); // the sims' write streams flush
    const lines = await readArrivals(mesh.arrivalFiles);
    const simLogs = profile.links.map((_, k) => join(mesh.dir, `sim-${k}.log`));
    const load = await checkLoad(simLogs, { agents: AGENTS, active, heartbeatMs: HEARTBEAT_MS[profile.name], operations: asked, settled: asked - problems.length, since: measuringSince });
    const modes = MODES.map((mode) => modeFigures(mode, measured, lines, WINDOW_MS));
    const samples: Record<string, number[]> = {};
    for (const mode of MODES) {
      const targets = new Map(measured.filter((o) => o.mode === mode).map((o) => [o.operationId, o.targetTime]));
      const errors = lines.flatMap((l) => (targets.has(l.operation_id) ? [Math.abs(l.ready_true_ms - targets.get(l.operation_id)!)] : []));
      samples[mode] = thin(errors.sort((a, b) => a - b));
    }
    const perOperation = measured.map((o) => {
      const errors = lines.filter((l) => l.operation_id === o.operationId).map((l) => l.ready_true_ms - o.targetTime);
      const s = summarize(errors);
      return { operationId: o.operationId, mode: o.mode, n: s.count, signedP50: s.p50, signedMin: s.min, signedMax: s.max };
    });
    const figures = { profile: profile.name, halfAsymmetryMs: profile.halfAsymmetryMs, modes };
    const oracle = oracleFigures(measured, lines, sendTimes);
    const observedLines = gatewayTap === undefined ? lines : withGatewayHolds(lines, gatewayTap);
    const seen = observerResult(MODES, measured, observedLines, observer, WINDOW_MS);
    if (env.ARRIVAL_LINES_OUT !== undefined) await appendFile(env.ARRIVAL_LINES_OUT, lines.map((l) => `${JSON.stringify({ run: label, ...l })}\n`).join(''));
    if (env.ARRIVAL_OBSERVER_OUT !== undefined) await appendFile(env.ARRIVAL_OBSERVER_OUT, observedRows(label, measured, observedLines, observer.byMessageId).map((r) => `${JSON.stringify(r)}\n`).join(''));
    const checks = scenarioChecks([...checkTargets(figures), ...observedChecks(label, profile.halfAsymmetryMs, seen.modes.find((m) => m.mode === 'hold'))], scenario, oracle, label);
    return { profile: label, network: profile.name, scenario, oracle, description: profile.description, halfAsymmetryMs: profile.halfAsymmetryMs, modes, checks, load, problems, truncated, samples, perOperation, observer: seen };
  } finally {
    await observer?.stop();
    await mesh.stop();
  }
}

export async function runArrivalBench(): Promise<ArrivalResults> {
  const deadline = benchDeadline();
  const profiles: ProfileResult[] = [];
  const failed: ArrivalResults['failed'] = [];
  for (const profile of PROFILES) for (const scenario of SCENARIOS) {
    const label = runLabel(profile.name, scenario);
    // A profile needs start-up, sync and a few operations; with less time left it is not begun.
    if (msLeft(deadline, RESERVE_MS) < PROFILE_MIN_MS) {
      failed.push({ profile: label, error: 'not run: the time budget of the run was spent' });
      continue;
    }
    try {
      profiles.push(await runProfile(profile, scenario, deadline));
    } catch (error) {
      // One profile that cannot start (say, agents not active in time) must not cost the others.
      failed.push({ profile: label, error: error instanceof Error ? error.message : String(error) });
      stdout.write(`[${label}] FAILED: ${failed.at(-1)!.error}\n`);
    }
  }
  return {
    agents: AGENTS,
    classes: 'A-E, equal weights',
    windowMs: WINDOW_MS,
    warmupPerMode: WARMUP_PER_MODE,
    opsPerMode: OPS_PER_MODE,
    heartbeatMs: HEARTBEAT_MS,
    // The sim spec's defaults (packages/pi-daemon/src/sim/spec.ts), which startLocalMesh keeps.
    clock: { offsetMs: 2_000, driftPpm: 50 },
    quick: QUICK,
    scenarios: SCENARIOS,
    profiles,
    failed,
  };
}

if (import.meta.url === `file://${argv[1]}`) {
  const startedAt = new Date();
  // Every lead and sim starts from bundles built now: quicker to start, and an edit made while
  // the run goes on does not reach the profiles started after it.
  const results = await withFreshBundles(runArrivalBench);
  printArrival(results);
  printObserved(results.profiles);
  stdout.write(`\nwritten: ${writeReport('arrival', results, startedAt)}\n`);
  process.exit(0);
}
