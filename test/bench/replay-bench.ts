/**
 * bench:replay — the lead alone: what it costs per heartbeat and how many it can take, with
 * no sims beside it. A fleet of enrolled identities (as many as the highest rate needs at
 * 5 s heartbeats) and every heartbeat of the run are built and Ed25519-signed before the
 * first is sent (replay/frames.ts); a pacer then publishes them at their planned times
 * straight to nats-server and counts the lead's answers (replay/pacer.ts). Each step adds
 * agents (rate x 5 s of them, all beating every 5 s), leaves a warm-up out (new agents
 * register with their first beat), and reads the lead's counters and CPU at the window's
 * edges. The ceiling is the highest rate whose window had >= 99% of its heartbeats accepted.
 *
 * Heartbeats are session-keyed by default (REPLAY_AUTH=session: every agent opens a session
 * with the lead before the steps, replay/sessions.ts, and each beat is HMAC-tagged ahead of
 * time), or per-message Ed25519 (REPLAY_AUTH=ed25519), the lead's heartbeat.auth set to match.
 *
 *   npm run bench:replay                                  (500, 1,000, 2,000, 4,000, 6,000 /s)
 *   REPLAY_RATES=500,1000,2000 REPLAY_WINDOW_S=10 npm run bench:replay
 *   REPLAY_AUTH=ed25519 npm run bench:replay
 *   REPLAY_SNAPSHOT_MS=2000 npm run bench:replay        (the lead's store.snapshot_interval_ms: every agent
 *                                                    registers in a step's warm-up and is written on the
 *                                                    next pass, about 0.8 s of CPU at 30,000; with the
 *                                                    default 30 s that pass falls inside a window or not,
 *                                                    by chance: 2 s puts it in the warm-up)
 *   REPLAY_CPU_PROF=/tmp/prof npm run bench:replay   (the lead runs with --cpu-prof; each step's
 *                                                    window is printed as seconds before the
 *                                                    profile's end, for test/bench/lib/cpu-profile.ts)
 */
import { argv, env, stdout } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import { subjects } from '@mesh30k/shared';
import { freePort, startLocalMesh, summarize, type LocalMesh } from '../harness/index.js';
import { withFreshBundles } from './lib/bundles.js';
import { formatTable, writeReport } from './lib/report.js';
import { createReplayFleet, enrollFleet, signPlan, type ReplayFleet, type ReplayFrame, type ReplaySession } from './replay/frames.js';
import { openSessions } from './replay/sessions.js';
import { replayFrames, type AnswerCounts } from './replay/pacer.js';
import { planBeats } from './replay/schedule.js';
import { processSample } from './scale/proc.js';
import { loopDelayFromMetrics, windowFigures, type WindowEdge } from './scale/window.js';

const AUTH: 'session' | 'ed25519' = env.REPLAY_AUTH === 'ed25519' ? 'ed25519' : 'session';
const RATES = (env.REPLAY_RATES ?? '500,1000,2000,4000,6000').split(',').map(Number);
const HEARTBEAT_MS = 5_000;
const WARMUP_MS = Number(env.REPLAY_WARMUP_S ?? 10) * 1000;
const WINDOW_MS = Number(env.REPLAY_WINDOW_S ?? 10) * 1000;
/** After a step's last frame, answers are awaited this long; the next step is planned after it. */
const SETTLE_MS = 3_000;
const GAP_MS = SETTLE_MS + 1_000;
/** A step counts towards the ceiling when at least this share of its window was accepted. */
const ACCEPTED_SHARE = 0.99;
/** The lead's replay TTL (default config): a frame sent later than this after its created_at is stale. */
const REPLAY_TTL_MS = 10_000;
const PROBE_EVERY_MS = 100;
/** A directory: the lead is started with --cpu-prof and writes its profile there when it stops. */
const CPU_PROF_DIR = env.REPLAY_CPU_PROF;
/** The lead's snapshot period, ms (absent: its default). */
const SNAPSHOT_MS = env.REPLAY_SNAPSHOT_MS === undefined ? undefined : Number(env.REPLAY_SNAPSHOT_MS);

export interface ReplayStep {
  rate: number;
  agents: number;
  /** Heartbeats planned inside the window, and what became of them (pacer's count). */
  sent: number;
  accepted: number;
  acceptedShare: number;
  refused: Record<string, number>;
  unanswered: number;
  replyP50Ms: number;
  replyP99Ms: number;
  /** The lead's own accepted counter over the window, per second. */
  leadAcceptedPerSec: number;
  leadCores: number;
  leadCpuUsPerHeartbeat: number;
  natsCores: number;
  natsCpuUsPerHeartbeat: number;
  /** This generator's CPU over the window (it shares the machine). */
  generatorCores: number;
  apiP99Ms: number;
  /** The lead's worst event-loop delay over the window (its own histogram: a bucket bound), ms. */
  loopMaxMs: number;
  /** How late the step's first frame went beyond its plan, and the worst publish lateness after that shift. */
  startLagMs: number;
  maxLateMs: number;
  /** Wall-clock ms of the window's edges as read (to cut the lead's CPU profile). */
  windowFromWall: number;
  windowToWall: number;
}

export interface ReplayResults {
  heartbeatMs: number;
  warmupMs: number;
  windowMs: number;
  mode: 'ed25519-per-message' | 'session';
  /** Session mode: seconds the handshakes of every agent took before the steps, and retries. */
  handshakeS: number | null;
  handshakeRetries: number | null;
  acceptedShareLimit: number;
  framesSigned: number;
  signingS: number;
  steps: ReplayStep[];
  /** Highest rate with >= ACCEPTED_SHARE accepted; null when none. */
  ceiling: number | null;
  notRun: number[];
}

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

interface Planned {
  rate: number;
  agents: number;
  from: number;
  frames: ReplayFrame[];
}

/** Signs every step's frames; returns them with the time taken. Steps are planned back to back from `t0`. */
async function signAll(fleet: ReplayFleet, t0: number, sessions: readonly ReplaySession[] | undefined): Promise<Planned[]> {
  const steps: Planned[] = [];
  const checked = new Set<number>();
  let from = t0;
  for (const rate of RATES) {
    const agents = Math.round((rate * HEARTBEAT_MS) / 1000);
    steps.push({ rate, agents, from, frames: await signPlan(fleet, planBeats(agents, HEARTBEAT_MS, from, WARMUP_MS + WINDOW_MS), checked, sessions) });
    from += WARMUP_MS + WINDOW_MS + GAP_MS;
  }
  return steps;
}

function share(counts: AnswerCounts): number {
  return counts.sent > 0 ? counts.accepted / counts.sent : Number.NaN;
}

async function runStep(mesh: LocalMesh, natsPid: number | undefined, step: Planned): Promise<ReplayStep> {
  const nc = await connect({ servers: mesh.natsUrl, name: 'replay-bench' });
  try {
    const windowFrom = step.from + WARMUP_MS;
    const windowTo = windowFrom + WINDOW_MS;
    const edge = async (): Promise<WindowEdge> => {
      const status = await mesh.api.getOk<{ ingest: { accepted: number } }>('/v1/status');
      const own = process.cpuUsage();
      return {
        atMs: performance.now(),
        accepted: status?.ingest.accepted ?? Number.NaN,
        leadCpuS: processSample(mesh.leadPid).cpuS,
        simsCpuS: (own.user + own.system) / 1e6,
        natsCpuS: processSample(natsPid).cpuS,
      };
    };
    // The window's edges are read at their planned instants (plus the pacer's shift), while it sends.
    let edges: Promise<[WindowEdge, WindowEdge, number[], number]> | undefined;
    const metricsPage = async (): Promise<unknown> => (await mesh.api.request('GET', '/metrics').catch(() => undefined))?.body;
    const run = await replayFrames(nc, subjects.heartbeat(mesh.leads?.[0]?.leadId ?? 'lead-local'), step.frames, {
      inWindow: (at) => at >= windowFrom && at < windowTo,
      settleMs: SETTLE_MS,
      onStart: (shift) => {
        edges = (async () => {
          await sleep(Math.max(0, windowFrom + shift - Date.now()));
          const start = await edge();
          const pageBefore = await metricsPage();
          const done = { stop: false };
          const probing = probeApi(mesh, done);
          await sleep(Math.max(0, windowTo + shift - Date.now()));
          const end = await edge();
          done.stop = true;
          return [start, end, await probing, loopDelayFromMetrics(pageBefore, await metricsPage())];
        })();
      },
    });
    if (edges === undefined) throw new Error(`step ${step.rate}/s sent nothing`);
    const [start, end, api, loopMaxMs] = await edges;
    const windowToWall = Date.now() - (performance.now() - end.atMs);
    const windowFromWall = windowToWall - (end.atMs - start.atMs);
    const win = windowFigures(start, end);
    const w = run.window;
    const replies = summarize(w.latencies);
    const answered = w.accepted + Object.values(w.refused).reduce((a, b) => a + b, 0);
    return {
      rate: step.rate,
      agents: step.agents,
      sent: w.sent,
      accepted: w.accepted,
      acceptedShare: share(w),
      refused: w.refused,
      unanswered: w.sent - answered,
      replyP50Ms: replies.p50,
      replyP99Ms: replies.p99,
      leadAcceptedPerSec: win.acceptedPerSec,
      leadCores: win.leadCores,
      leadCpuUsPerHeartbeat: win.leadCpuUsPerHeartbeat,
      natsCores: win.natsCores,
      natsCpuUsPerHeartbeat: win.natsCpuUsPerHeartbeat,
      generatorCores: win.simsCores,
      apiP99Ms: summarize(api).p99,
      loopMaxMs,
      startLagMs: run.startLagMs,
      maxLateMs: run.maxLateMs,
      windowFromWall,
      windowToWall,
    };
  } finally {
    await nc.close();
  }
}

export async function runReplayBench(): Promise<ReplayResults> {
  const maxAgents = Math.round((Math.max(...RATES) * HEARTBEAT_MS) / 1000);
  let fleet: ReplayFleet | undefined;
  const monitor = await freePort();
  const stepsForProfile: ReplayStep[] = [];
  stdout.write(`[replay] ${maxAgents} identities, enrolled before the lead starts...\n`);
  const mesh = await startLocalMesh({
    agents: 0,
    heartbeatMs: HEARTBEAT_MS,
    readyTimeoutMs: 60_000 + maxAgents * 10,
    natsArgs: ['-m', String(monitor)],
    leadConfig: { breakers: { metrics_only: true }, heartbeat: { auth: AUTH }, ...(SNAPSHOT_MS === undefined ? {} : { store: { snapshot_interval_ms: SNAPSHOT_MS } }) },
    ...(CPU_PROF_DIR === undefined ? {} : { leadNodeArgs: ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] }),
    onProgress: (what) => stdout.write(`[replay] ${what}\n`),
    enroll: async (root, names) => {
      fleet = await createReplayFleet(maxAgents, names.clusterId);
      return enrollFleet(fleet, root, Date.now());
    },
  });
  try {
    if (fleet === undefined) throw new Error('the fleet was not enrolled');
    let sessions: ReplaySession[] | undefined;
    let handshakeS: number | null = null;
    let handshakeRetries: number | null = null;
    if (AUTH === 'session') {
      stdout.write(`[replay] ${maxAgents} session handshakes...\n`);
      const nc = await connect({ servers: mesh.natsUrl, name: 'replay-handshakes' });
      try {
        const opened = await openSessions(nc, fleet, mesh.leads?.[0]?.leadId ?? 'lead-local', 32, (n) => stdout.write(`[replay] ${n} sessions open\n`));
        ({ sessions } = opened);
        handshakeS = opened.seconds;
        handshakeRetries = opened.retries;
        stdout.write(`[replay] ${maxAgents} sessions in ${opened.seconds.toFixed(1)} s (${opened.retries} retried)\n`);
      } finally {
        await nc.close();
      }
    }
    // How long signing takes here and now, so the first step is planned after it ends: an
    // agent's first frame is schema-checked, the rest only signed (the calibration frames only
    // use up sequence numbers, which the lead never sees).
    const sample = Math.min(500, maxAgents);
    const timeSigning = async (checked: Set<number>): Promise<number> => {
      const began = performance.now();
      await signPlan(fleet!, planBeats(sample, HEARTBEAT_MS, Date.now(), HEARTBEAT_MS), checked, sessions);
      return (performance.now() - began) / sample;
    };
    const firstMs = await timeSigning(new Set());
    const restMs = await timeSigning(new Set(Array.from({ length: sample }, (_, i) => i)));
    const total = RATES.reduce((sum, rate) => sum + (rate * (WARMUP_MS + WINDOW_MS)) / 1000, 0);
    const estimateMs = maxAgents * firstMs + (total - maxAgents) * restMs;
    const t0 = Date.now() + estimateMs * 1.3 + 3_000;
    stdout.write(`[replay] signing ${Math.round(total)} heartbeats (about ${(estimateMs / 1000).toFixed(0)} s)...\n`);
    const signStart = performance.now();
    const planned = await signAll(fleet, t0, sessions);
    const signingS = (performance.now() - signStart) / 1000;
    if (Date.now() > t0 + REPLAY_TTL_MS / 2) throw new Error(`signing overran its plan by ${((Date.now() - t0) / 1000).toFixed(1)} s: the frames would reach the lead near the end of their TTL`);
    const steps = stepsForProfile;
    for (const step of planned) {
      stdout.write(`[replay] ${step.rate}/s from ${step.agents} agents...\n`);
      const result = await runStep(mesh, mesh.nats?.pid, step);
      steps.push(result);
      stdout.write(`[replay] ${step.rate}/s: ${(result.acceptedShare * 100).toFixed(1)}% accepted, lead ${result.leadCores.toFixed(2)} cores, ${result.leadCpuUsPerHeartbeat.toFixed(0)} µs/hb, API p99 ${result.apiP99Ms.toFixed(0)} ms, loop max ${result.loopMaxMs} ms\n`);
      step.frames = []; // free them
      if (!(result.acceptedShare >= ACCEPTED_SHARE)) break;
    }
    const passing = steps.filter((s) => s.acceptedShare >= ACCEPTED_SHARE).map((s) => s.rate);
    return {
      heartbeatMs: HEARTBEAT_MS, warmupMs: WARMUP_MS, windowMs: WINDOW_MS, mode: AUTH === 'session' ? 'session' : 'ed25519-per-message', handshakeS, handshakeRetries, acceptedShareLimit: ACCEPTED_SHARE,
      framesSigned: Math.round(total), signingS, steps, ceiling: passing.length > 0 ? Math.max(...passing) : null, notRun: RATES.slice(steps.length),
    };
  } finally {
    await mesh.stop();
    // The profile ends when the lead exits, at most this late: each window as seconds before that.
    if (CPU_PROF_DIR !== undefined) {
      const end = Date.now();
      for (const step of stepsForProfile) {
        stdout.write(`[replay] ${step.rate}/s window in the lead's profile: --from-end-s ${((end - step.windowFromWall) / 1000).toFixed(1)} --to-end-s ${((end - step.windowToWall) / 1000).toFixed(1)} (${CPU_PROF_DIR})\n`);
      }
    }
  }
}

export function printReplay(r: ReplayResults): void {
  const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');
  stdout.write(`\nReplay: the lead alone, fed pre-built heartbeats (${r.mode}${r.handshakeS === null ? '' : `; sessions opened in ${r.handshakeS.toFixed(1)} s before the steps`}, every agent every ${r.heartbeatMs / 1000} s), ${r.warmupMs / 1000} s warm-up left out, ${r.windowMs / 1000} s measured per step; ${r.framesSigned} frames signed or tagged in ${r.signingS.toFixed(1)} s before the first was sent\n\n`);
  stdout.write(
    `${formatTable(
      ['hb/s asked', 'agents', 'sent', 'accepted', 'refused', 'unanswered', 'lead got/s', 'lead cores', 'lead µs/hb', 'nats cores', 'nats µs/hb', 'generator cores', 'reply p50 / p99 ms', 'API p99 ms', 'loop max ms', 'late ms (start / max)'],
      r.steps.map((s) => [
        s.rate, s.agents, s.sent, pct(s.acceptedShare), Object.entries(s.refused).map(([k, v]) => `${k} ${v}`).join(', ') || '0', s.unanswered, s.leadAcceptedPerSec, s.leadCores.toFixed(2), s.leadCpuUsPerHeartbeat,
        s.natsCores.toFixed(2), s.natsCpuUsPerHeartbeat, s.generatorCores.toFixed(2), `${s.replyP50Ms.toFixed(1)} / ${s.replyP99Ms.toFixed(1)}`, s.apiP99Ms, s.loopMaxMs, `${s.startLagMs.toFixed(0)} / ${s.maxLateMs.toFixed(0)}`,
      ]),
    )}\n`,
  );
  stdout.write(`\nceiling (>= ${pct(r.acceptedShareLimit)} accepted): ${r.ceiling === null ? 'none of the steps' : `${r.ceiling} heartbeats/s`}${r.notRun.length > 0 ? `; not run: ${r.notRun.join(', ')}` : ''}\n`);
}

if (import.meta.url === `file://${argv[1]}`) {
  const startedAt = new Date();
  const results = await withFreshBundles(runReplayBench);
  printReplay(results);
  stdout.write(`\nwritten: ${writeReport('replay', results, startedAt)}\n`);
  process.exit(0);
}
