// `npm start`: the whole mesh on this machine, scatter-gather cascades from the root in every
// release mode, live figures in the terminal. Composition root of the demo: it parses the
// options, starts the mesh through the test harness (which owns every process it spawns and
// kills them on exit, signals and crashes), runs the rotation and stops everything.
import { startLocalMesh, type LocalMesh } from '../../test/harness/index.js';
import type { ModeFigures, ReleaseMode } from './figures.js';
import { LINK_SETS } from './link-sets.js';
import { readMeshBox } from './mesh-box.js';
import { USAGE, parseCommandLine, type DemoOptions } from './options.js';
import { runRotation } from './rotation.js';
import { Screen } from './screen.js';
import { TrueArrivals } from './true-arrival.js';

const EXIT_USAGE = 64;
const EXIT_SIGNAL = 130;
const CHILD_LEADS = 2;
const BOX_REFRESH_MS = 1_000;
const HEARTBEAT_MS = 1_000;
const READY_TIMEOUT_MS = 180_000;
/**
 * Agents behind 300 ms links answer ~600 ms after T: with the default 25 ms ACK return slack
 * they count as stragglers and open breakers, so the demo's leads wait about a second.
 */
const DEMO_LEAD_CONFIG = { scatter: { ack_return_slack_ms: 1_000 } };

async function run(options: DemoOptions, screen: Screen, stop: AbortController): Promise<number> {
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
    leadConfig: DEMO_LEAD_CONFIG,
  });
  const byMode = new Map<ReleaseMode, ModeFigures[]>();
  let arrivals: TrueArrivals | undefined;
  const boxTimer = setInterval(() => {
    readMeshBox(mesh.leads ?? []).then((box) => screen.setBox(box), () => undefined);
  }, BOX_REFRESH_MS);
  try {
    screen.event('mesh.started', { pids: mesh.pids, leads: mesh.leads?.map((l) => l.url), agents: mesh.agentIds.length, dir: mesh.dir });
    screen.setHeader({ agents: options.agents, workers: options.workers, profile: options.profile, children: CHILD_LEADS });
    screen.note(`mesh up: ${mesh.agentIds.length} agents active, ${mesh.pids.length} processes; cascades every ${options.interval} s`);
    if (stop.signal.aborted) return EXIT_SIGNAL;
    arrivals = await TrueArrivals.open(mesh.natsUrl, mesh.dir);
    const limit = options.duration === undefined ? undefined : setTimeout(() => stop.abort('duration'), options.duration * 1_000);
    await runRotation({
      api: mesh.api,
      arrivals,
      intervalMs: options.interval * 1_000,
      signal: stop.signal,
      onFigures: (figures) => {
        byMode.set(figures.mode, [...(byMode.get(figures.mode) ?? []), figures]);
        screen.setFigures(figures);
      },
      onError: (error) => screen.note(`cascade failed: ${error instanceof Error ? error.message : String(error)}`),
    });
    clearTimeout(limit);
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
  return stop.signal.reason === 'duration' ? 0 : EXIT_SIGNAL;
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
  const stop = new AbortController();
  // Ours before any other: the harness's own handler (installed with its first process)
  // kills every child at once, and sees ours, so it does not re-raise and end this process
  // before the stop below has waited for them. A second signal ends it at once; the
  // harness's exit handler still kills what is left.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) process.exit(EXIT_SIGNAL);
    screen.note(`${signal}: stopping`);
    stop.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run(parsed.options, screen, stop);
  } catch (error) {
    if (stop.signal.aborted && stop.signal.reason !== 'duration') return EXIT_SIGNAL;
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


