/**
 * bench:restart — a lead restarted with a big fleet on record, without a live fleet: N
 * identities are enrolled (replay/frames.ts), each sends the lead one signed heartbeat (paced,
 * so the lead registers and persists every one of them), then the lead is stopped (SIGTERM: its
 * last snapshot is written) and started again. Measured: the store's bytes per agent, the lead's
 * RSS per registered agent, how long the restarted lead takes to serve its API and to be ready,
 * how many agents it has on record after the restart, and how long it takes to open a session
 * for every agent again, the bench opening them as fast as the lead answers (`concurrency`
 * handshakes in flight, OVERLOADED retried after retry_after_ms). The last is the lead's
 * handshake capacity: real agents come back spread over one interval plus the lead's
 * retry_after_ms, so they cannot be back sooner than this.
 *
 *   npm run bench:restart                          (30,000 agents)
 *   RESTART_AGENTS=5000 RESTART_REGISTER_RATE=1000 RESTART_CONCURRENCY=64 npm run bench:restart
 *   RESTART_CPU_PROF=/tmp/prof ...    (the lead with --cpu-prof; the idle window is printed for cpu-profile.ts)
 *
 * Also measured: the lead's CPU over the 10 s after registration, with no heartbeat at all.
 * That is not a steady-state background cost: the registered agents then fall silent, so it is
 * mostly sweeps probing them, offline declarations and their log lines, and the snapshot
 * (a profile of the 30,000-agent run: sweep 28% of the main thread, SQLite 29%, log writes).
 */
import { argv, env, stdout } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import { subjects } from '@mesh30k/shared';
import { startLocalMesh } from '../harness/index.js';
import { withFreshBundles } from './lib/bundles.js';
import { formatTable, writeReport } from './lib/report.js';
import { createReplayFleet, enrollFleet, signPlan, type ReplayFleet } from './replay/frames.js';
import { replayFrames } from './replay/pacer.js';
import { planBeats } from './replay/schedule.js';
import { openSessions } from './replay/sessions.js';
import { processSample } from './scale/proc.js';
import { directoryBytes, secondsUntil } from './scale/restart.js';
import { join } from 'node:path';

const AGENTS = Number(env.RESTART_AGENTS ?? 30_000);
/** Signed heartbeats per second while the fleet registers (each costs the lead one Ed25519 verify). */
const REGISTER_RATE = Number(env.RESTART_REGISTER_RATE ?? 600);
/** Rounds of registration: agents whose beat was shed (OVERLOADED) beat again in the next. */
const REGISTER_ROUNDS = 4;
const CONCURRENCY = Number(env.RESTART_CONCURRENCY ?? 64);
const HEARTBEAT_MS = 5_000;
/** Targets of issue 15. */
const API_TARGET_S = 5;
const SESSIONS_TARGET_S = 60;
const RESTART_TIMEOUT_MS = 120_000;
const SESSIONS_TIMEOUT_MS = Number(env.RESTART_SESSIONS_TIMEOUT_S ?? 240) * 1000;
/** The lead's CPU with the fleet on record and no heartbeats: its background work per agent. */
const IDLE_WINDOW_MS = 10_000;
/** A directory: the lead runs with --cpu-prof (one profile per process, written at its exit). */
const CPU_PROF_DIR = env.RESTART_CPU_PROF;

export interface RestartBenchResults {
  agents: number;
  registerRate: number;
  concurrency: number;
  /** Registration: heartbeats accepted of those sent, and the agents on record before the stop. */
  registered: { sent: number; accepted: number; onRecord: number; seconds: number };
  leadRssMbEmpty: number;
  leadRssMbFull: number;
  /** (RSS with the fleet registered - RSS before) / agents: the lead's whole memory per agent, an upper bound on the registry's. */
  rssBytesPerAgent: number;
  storeBytesPerAgent: number;
  stopS: number;
  apiServesS: number;
  readyS: number;
  onRecordAfterRestart: number;
  /** Lead CPU with the fleet on record and no heartbeats, cores, and per agent per heartbeat interval (µs). */
  idleLeadCores: number;
  idleUsPerAgentInterval: number;
  /** Every agent's session opened again after the restart (the lead's handshake capacity), s; NaN if not within the timeout. */
  sessionsBackS: number;
  /** Sessions opened again by the end (all, or those by the timeout). */
  sessionsBack: number;
  sessionRetries: number;
  /** Lead CPU over the re-handshakes, per handshake, µs. */
  leadCpuUsPerHandshake: number;
  targets: { apiServesS: number; sessionsBackS: number };
}

async function onRecord(api: { getOk<T>(path: string): Promise<T | undefined> }): Promise<number> {
  const status = await api.getOk<{ agents: { by_state: Record<string, number> } }>('/v1/status');
  return Object.values(status?.agents.by_state ?? {}).reduce((a, b) => a + b, 0);
}

export async function runRestartBench(): Promise<RestartBenchResults> {
  let fleet: ReplayFleet | undefined;
  stdout.write(`[restart] ${AGENTS} identities, enrolled before the lead starts...\n`);
  const mesh = await startLocalMesh({
    agents: 0,
    heartbeatMs: HEARTBEAT_MS,
    readyTimeoutMs: 60_000 + AGENTS * 10,
    leadConfig: { breakers: { metrics_only: true }, heartbeat: { auth: 'session' } },
    ...(CPU_PROF_DIR === undefined ? {} : { leadNodeArgs: ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] }),
    onProgress: (what) => stdout.write(`[restart] ${what}\n`),
    enroll: async (root, names) => {
      fleet = await createReplayFleet(AGENTS, names.clusterId);
      return enrollFleet(fleet, root, Date.now());
    },
  });
  try {
    if (fleet === undefined) throw new Error('the fleet was not enrolled');
    const lead = mesh.lead;
    if (lead === undefined) throw new Error('the mesh has no restartable lead');
    const leadId = mesh.leads?.[0]?.leadId ?? 'lead-local';
    const leadRssMbEmpty = processSample(mesh.leadPid).rssMb;
    // One signed beat per agent, spread at REGISTER_RATE: the lead registers each agent and its
    // snapshot writer persists it. Agents whose beat was shed beat again in the next round.
    const nc = await connect({ servers: mesh.natsUrl, name: 'restart-bench' });
    let registered: RestartBenchResults['registered'];
    try {
      const began = performance.now();
      let missing = Array.from({ length: AGENTS }, (_, i) => i);
      let sent = 0;
      let accepted = 0;
      for (let round = 0; round < REGISTER_ROUNDS && missing.length > 0; round++) {
        const spreadMs = Math.max(1_000, (missing.length / REGISTER_RATE) * 1000);
        const t0 = Date.now() + 1_000 + missing.length * 0.15;
        const plan = planBeats(missing.length, spreadMs, t0, spreadMs).map((b) => ({ ...b, agent: missing[b.agent]! }));
        stdout.write(`[restart] round ${round + 1}: ${missing.length} agents beat once over ${(spreadMs / 1000).toFixed(0)} s\n`);
        const frames = await signPlan(fleet, plan);
        const run = await replayFrames(nc, subjects.heartbeat(leadId), frames, { inWindow: () => true, settleMs: 5_000 });
        sent += run.all.sent;
        accepted += run.all.accepted;
        missing = frames.filter((_, i) => run.accepted[i] !== 1).map((f) => f.agent);
        stdout.write(`[restart] round ${round + 1}: ${run.all.accepted} accepted (refused: ${JSON.stringify(run.all.refused)})\n`);
      }
      const count = await onRecord(mesh.api);
      registered = { sent, accepted, onRecord: count, seconds: (performance.now() - began) / 1000 };
      stdout.write(`[restart] ${accepted} of ${sent} accepted, ${count} agents on record\n`);
    } finally {
      await nc.close();
    }
    const leadRssMbFull = processSample(mesh.leadPid).rssMb;
    // Background work with the fleet on record: no heartbeat arrives in this window.
    const idle0 = { cpuS: processSample(mesh.leadPid).cpuS, at: performance.now() };
    await sleep(IDLE_WINDOW_MS);
    const idleLeadCores = (processSample(mesh.leadPid).cpuS - idle0.cpuS) / ((performance.now() - idle0.at) / 1000);
    const idleUsPerAgentInterval = (idleLeadCores * 1e6 * (HEARTBEAT_MS / 1000)) / AGENTS;
    const idleEndWall = Date.now();
    stdout.write(`[restart] 10 s after registration, no beats (the fleet falls silent): lead ${idleLeadCores.toFixed(3)} cores, ${idleUsPerAgentInterval.toFixed(1)} µs per agent per interval\n`);

    const stopFrom = performance.now();
    await lead.kill('SIGTERM');
    const stopS = (performance.now() - stopFrom) / 1000;
    if (CPU_PROF_DIR !== undefined) {
      const end = Date.now();
      stdout.write(`[restart] idle window in the first lead's profile: --from-end-s ${((end - idleEndWall) / 1000 + IDLE_WINDOW_MS / 1000).toFixed(1)} --to-end-s ${((end - idleEndWall) / 1000).toFixed(1)} (${CPU_PROF_DIR})\n`);
    }
    const storeBytesPerAgent = directoryBytes(join(mesh.dir, 'lead-data')) / AGENTS;
    stdout.write(`[restart] stopped in ${stopS.toFixed(1)} s; store ${Math.round(storeBytesPerAgent)} B/agent; starting again...\n`);
    const from = performance.now();
    const deadline = from + RESTART_TIMEOUT_MS;
    const starting = lead.start();
    starting.catch(() => undefined);
    const apiServesS = await secondsUntil(async () => (await mesh.api.request('GET', '/health/live')).status === 200, from, deadline);
    const readyS = await secondsUntil(async () => (await mesh.api.request('GET', '/health/ready')).status === 200, from, deadline);
    await starting.catch(() => undefined);
    const onRecordAfterRestart = await onRecord(mesh.api);
    stdout.write(`[restart] API after ${apiServesS.toFixed(1)} s, ready after ${readyS.toFixed(1)} s, ${onRecordAfterRestart} agents on record; re-opening ${AGENTS} sessions...\n`);

    // Sessions live in memory only: every agent must handshake again.
    const hs = await connect({ servers: mesh.natsUrl, name: 'restart-handshakes' });
    let sessionsBackS = Number.NaN;
    let sessionRetries = 0;
    let sessionsBack = 0;
    const cpu0 = processSample(mesh.leadPid).cpuS;
    try {
      const opening = openSessions(hs, fleet, leadId, CONCURRENCY, (n) => {
        sessionsBack = n;
        stdout.write(`[restart] ${n} sessions open (${((performance.now() - from) / 1000).toFixed(0)} s after the spawn)\n`);
      });
      const outcome = await Promise.race([opening, sleep(SESSIONS_TIMEOUT_MS).then(() => null)]);
      if (outcome !== null) {
        // From the restart's spawn, as an agent would count it.
        sessionsBackS = (performance.now() - from) / 1000;
        sessionRetries = outcome.retries;
        sessionsBack = AGENTS;
      }
    } finally {
      await hs.close();
    }
    const leadCpuUsPerHandshake = ((processSample(mesh.leadPid).cpuS - cpu0) * 1e6) / Math.max(1, sessionsBack);
    return {
      agents: AGENTS, registerRate: REGISTER_RATE, concurrency: CONCURRENCY, registered, leadRssMbEmpty, leadRssMbFull,
      rssBytesPerAgent: ((leadRssMbFull - leadRssMbEmpty) * 2 ** 20) / AGENTS, storeBytesPerAgent, stopS, apiServesS, readyS, onRecordAfterRestart,
      idleLeadCores, idleUsPerAgentInterval, sessionsBackS, sessionsBack, sessionRetries, leadCpuUsPerHandshake, targets: { apiServesS: API_TARGET_S, sessionsBackS: SESSIONS_TARGET_S },
    };
  } finally {
    await mesh.stop();
  }
}

export function printRestart(r: RestartBenchResults): void {
  const s = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : 'never');
  const verdict = (x: number, target: number): string => (x <= target ? 'met' : 'MISSED');
  stdout.write(`\nRestart: a lead stopped and started again with ${r.agents} agents on record (registered by one signed beat each at ${r.registerRate}/s; sessions re-opened ${r.concurrency} at a time)\n\n`);
  stdout.write(
    `${formatTable(
      ['figure', 'value', 'target', 'verdict'],
      [
        ['agents on record before the stop / after the restart', `${r.registered.onRecord} / ${r.onRecordAfterRestart}`, String(r.agents), r.onRecordAfterRestart >= r.agents ? 'met' : 'MISSED'],
        ['store bytes per agent (data dir after a graceful stop)', String(Math.round(r.storeBytesPerAgent)), '', ''],
        ['lead RSS per registered agent, bytes (whole process)', String(Math.round(r.rssBytesPerAgent)), '< 2048 (registry)', ''],
        ['lead CPU in the 10 s after registration, no beats (sweeps probing the silent fleet, offline declarations, snapshots), cores', r.idleLeadCores.toFixed(3), '', ''],
        ['  the same per agent per heartbeat interval, µs (not a steady-state cost)', r.idleUsPerAgentInterval.toFixed(1), '', ''],
        ['graceful stop, s', s(r.stopS), '', ''],
        ['API serves after the spawn, s', s(r.apiServesS), `<= ${r.targets.apiServesS}`, verdict(r.apiServesS, r.targets.apiServesS)],
        ['ready (heartbeats subscribed), s', s(r.readyS), '', ''],
        [`every agent in session again (${r.sessionsBack} of ${r.agents} by the end, ${r.sessionRetries} retried), s after the spawn`, s(r.sessionsBackS), `<= ${r.targets.sessionsBackS}`, verdict(r.sessionsBackS, r.targets.sessionsBackS)],
        ['lead CPU per re-handshake, µs', String(Math.round(r.leadCpuUsPerHandshake)), '', ''],
      ],
    )}\n`,
  );
}

if (import.meta.url === `file://${argv[1]}`) {
  const startedAt = new Date();
  const results = await withFreshBundles(runRestartBench);
  printRestart(results);
  stdout.write(`\nwritten: ${writeReport('restart', results, startedAt)}\n`);
  process.exit(0);
}
