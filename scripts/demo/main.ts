// `npm start`: the whole mesh on this machine, scatter-gather cascades from the root in every
// release mode, live figures in the terminal. Composition root of the demo: it parses the
// options, starts the mesh through the test harness (which owns every process it spawns and
// kills them on exit, signals and crashes), runs the rotation and stops everything.
import { startLocalMesh, type LocalMesh } from '../../test/harness/index.js';
import { DEMO_CONTEXT, writeDemoContext } from './console-context.js';
import { dashboardLink } from './dashboard-link.js';
import type { ModeFigures, ReleaseMode } from './figures.js';
import { runHaDemo } from './ha-demo.js';
import { LINK_SETS } from './link-sets.js';
import { readMeshBox } from './mesh-box.js';
import { USAGE, parseCommandLine, type DemoOptions } from './options.js';
import { runRotation } from './rotation.js';
import { claimSignals, type SignalClaim } from './signals.js';
import { Screen } from './screen.js';
import { readSensorBoard } from './sensor-board.js';
import { TrueArrivals } from './true-arrival.js';

const EXIT_USAGE = 64;
const CHILD_LEADS = 2;
const BOX_REFRESH_MS = 1_000;
const HEARTBEAT_MS = 1_000;
const READY_TIMEOUT_MS = 180_000;
/**
 * T is picked from each agent's expected one-way delay, and the links' jitter has a tail: with
 * the leads' default margins (10 ms hold, 20 ms cascade) the agents on a slow draw get the hold
 * message after T and are late by that draw. These margins cover the emulated tails.
 */
const HOLD_MARGIN_MS = 100;
const CASCADE_SLACK_MS = 250;
/**
 * Agents behind 300 ms links answer ~600 ms after T, more on this shared machine when it is
 * busy: with the default 25 ms ACK return slack they count as stragglers, five of them open
 * their cluster's breaker and the next cascades reach nobody there. The leads wait 2 s.
 */
const ACK_RETURN_SLACK_MS = 2_000;
/**
 * A cluster breaker opens above 5 failures a minute (sector: 50), sized for a Pi cluster of a
 * few dozen. Here a child lead's cluster is half the fleet, and on a busy 2-core machine a
 * starved sim makes a handful of stragglers at once: the breakers trip above this share of
 * the cluster's agents instead, so they still open when a cluster really fails.
 */
const BREAKER_TRIP_SHARE = 0.1;

function demoLeadConfig(agents: number): Record<string, Record<string, unknown>> {
  const perCluster = Math.ceil(agents / CHILD_LEADS);
  const trip = Math.max(5, Math.ceil(BREAKER_TRIP_SHARE * perCluster));
  return {
    scatter: { ack_return_slack_ms: ACK_RETURN_SLACK_MS, hold_margin_ms: HOLD_MARGIN_MS },
    cascade: { slack_ms: CASCADE_SLACK_MS },
    breakers: { cluster_trip_above: trip, sector_trip_above: Math.max(50, trip) },
  };
}

/** Why the demo stops: its --duration ran out (exit 0), or a signal (exit 128 + its number). */
interface Stopping {
  /** Ends the rotation after the cascade in flight. */
  readonly stop: AbortController;
  /** A signal: the cascade in flight is not waited for. */
  readonly cancel: AbortController;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

function exitCodeOf(stopping: Stopping): number {
  const reason: unknown = stopping.cancel.signal.reason;
  return stopping.cancel.signal.aborted ? (SIGNAL_EXIT[reason as NodeJS.Signals] ?? 1) : 0;
}

/** How often each simulated agent reads its virtual temperature. */
const DEMO_SENSOR_INTERVAL_MS = 15_000;

async function run(options: DemoOptions, screen: Screen, stopping: Stopping, signals: SignalClaim): Promise<number> {
  screen.note(`starting ${options.agents} agents, ${options.workers} Workers, ${CHILD_LEADS} child leads (${options.profile} links)...`);
  const mesh: LocalMesh = await startLocalMesh({
    agents: options.agents,
    classes: { A: 1, B: 1, C: 1, D: 1, E: 1 },
    linkProfiles: LINK_SETS[options.profile],
    workers: options.workers,
    leadsBelowRoot: CHILD_LEADS,
    seed: options.seed,
    heartbeatMs: HEARTBEAT_MS,
    readyTimeoutMs: READY_TIMEOUT_MS,
    leadConfig: demoLeadConfig(options.agents),
    // Each sim has a relay the cascades switch at T, and a temperature (mesh sensors shows them).
    virtualSensors: { interval_ms: DEMO_SENSOR_INTERVAL_MS },
    onProgress: (step) => {
      signals.reclaim();
      screen.note(`starting: ${step}`);
    },
  });
  signals.reclaim();
  const byMode = new Map<ReleaseMode, ModeFigures[]>();
  let arrivals: TrueArrivals | undefined;
  const boxTimer = setInterval(() => {
    readMeshBox(mesh.leads ?? []).then((box) => screen.setBox(box), () => undefined);
    readSensorBoard(mesh.leads ?? []).then((board) => screen.setSensors(board), () => undefined);
  }, BOX_REFRESH_MS);
  try {
    screen.event('mesh.started', { pids: mesh.pids, leads: mesh.leads?.map((l) => l.url), agents: mesh.agentIds.length, dir: mesh.dir });
    screen.setHeader({ agents: options.agents, workers: options.workers, profile: options.profile, children: CHILD_LEADS });
    screen.note(`mesh up: ${mesh.agentIds.length} agents active, ${mesh.pids.length} processes; a cascade every ${options.interval} s`);
    const tryNext = await writeDemoContext(process.env, mesh.leadUrl, mesh.operator).catch((error: unknown) => {
      screen.note(`no console context written: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    });
    if (tryNext !== undefined) {
      screen.note(`in another terminal, try: ${tryNext}   (console context "${DEMO_CONTEXT}": the root lead, this demo's operator)`);
      screen.event('console.context', { context: DEMO_CONTEXT, lead: mesh.leadUrl, try: tryNext });
    }
    await dashboardLink(mesh.leadUrl, mesh.operator, Date.now()).then(
      (link) => {
        screen.note(`dashboard: ${link.url}   sign in as ${mesh.operator.id}: ${link.signIn}`);
        // The demo context holds the operator's key, so the console can make a fresh link later.
        if (tryNext !== undefined) screen.note(`a fresh sign-in link later: ${tryNext.replace('mesh status', 'mesh login')}`);
        screen.event('dashboard', { url: link.url });
      },
      (error: unknown) => screen.note(`no dashboard link: ${error instanceof Error ? error.message : String(error)}`),
    );
    if (!stopping.stop.signal.aborted) {
      arrivals = await TrueArrivals.open(mesh.natsUrl, mesh.dir);
      const limit = options.duration === undefined ? undefined : setTimeout(() => stopping.stop.abort('duration'), options.duration * 1_000);
      await runRotation({
        api: mesh.api,
        arrivals,
        intervalMs: options.interval * 1_000,
        stop: stopping.stop.signal,
        cancel: stopping.cancel.signal,
        onFigures: (figures) => {
          byMode.set(figures.mode, [...(byMode.get(figures.mode) ?? []), figures]);
          screen.setFigures(figures);
        },
        onError: (error) => screen.note(`cascade failed: ${error instanceof Error ? error.message : String(error)}`),
      });
      clearTimeout(limit);
    }
  } finally {
    clearInterval(boxTimer);
    screen.note('stopping every process...');
    await arrivals?.close().catch(() => undefined);
    await mesh.stop();
  }
  const operations = [...byMode.values()].reduce((n, list) => n + list.length, 0);
  screen.event('demo.summary', {
    operations,
    by_mode: Object.fromEntries([...byMode].map(([mode, list]) => [mode, list.map((f) => ({ cascade_id: f.cascadeId, status: f.status, ready: f.ready, sent: f.sent, truth: f.truth, leads: f.leads }))])),
    pids: mesh.pids,
  });
  screen.note(`stopped: ${mesh.pids.length} processes ended, ${operations} cascades run`);
  return exitCodeOf(stopping);
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`mesh demo: ${parsed.message}\n(npm start -- --help lists the options)\n`);
    return EXIT_USAGE;
  }
  const screen = new Screen(process.stdout);
  const stopping: Stopping = { stop: new AbortController(), cancel: new AbortController() };
  // A first signal stops gracefully (children get SIGTERM, then SIGKILL after a grace
  // period); a second one exits at once, and the harness's exit handler kills what is left.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping.cancel.signal.aborted) process.exit(SIGNAL_EXIT[signal] ?? 1);
    screen.note(`${signal}: stopping`);
    stopping.cancel.abort(signal);
    stopping.stop.abort(signal);
  };
  const signals = claimSignals(onSignal);
  try {
    if (parsed.options.ha === true) {
      await runHaDemo({ duration: parsed.options.duration, stop: stopping.stop.signal, note: (text) => screen.note(text) });
      return exitCodeOf(stopping);
    }
    return await run(parsed.options, screen, stopping, signals);
  } catch (error) {
    if (stopping.cancel.signal.aborted) return exitCodeOf(stopping);
    screen.note(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    screen.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mesh demo: ${String(error)}\n`);
    process.exit(1);
  },
);
