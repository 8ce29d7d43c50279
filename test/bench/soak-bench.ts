/**
 * bench:soak — a local mesh (private nats-server, one lead, a few hundred simulated agents and
 * one real `mesh-agent run` daemon with its SQLite outbox) under steady heartbeats and a
 * scatter-gather or broadcast every few seconds, while faults are injected on a schedule: bad
 * frames on NATS and bad API calls, the broker killed and restarted on its port with ACKs
 * falling due meanwhile and the daemon SIGKILLed with them in its outbox, the lead SIGKILLed with
 * an operation in flight and started again on its database. It reports operations and their
 * outcomes, ACKs lost and duplicated (agents' own records against the lead's history, exactly),
 * lead RSS and event-loop delay per window, and how long each recovery took. The first window
 * has no faults: it is the baseline the others are compared with.
 *
 *   npm run bench:soak                       (10 minutes measured, after a 30 s warm-up)
 *   npm run bench:soak -- --quick            (2 minutes, 200 agents)
 *   npm run bench:soak -- --duration 300     (or SOAK_DURATION_S; SOAK_AGENTS, SOAK_OP_INTERVAL_S...: soak/plan.ts)
 */
import { join } from 'node:path';
import { argv, env, stdout } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { MESSAGE_KINDS } from '@mesh30k/shared';
import { LATE_ACK_SAVE_DELAY_MS } from '../../packages/cluster-lead/src/scatter/operation-run.js';
import { startLocalMesh } from '../harness/index.js';
import { benchDeadline, msLeft } from './lib/deadline.js';
import { writeReport } from './lib/report.js';
import { lossGroups, windowFigures, type LossGroup, type WindowFigures } from './soak/analysis.js';
import { reconcile, type AgentAck, type HistoryRow, type LeadAck } from './soak/ack-ledger.js';
import { leadAcks, readAgentAcks, readHistory } from './soak/agent-records.js';
import { flood, leadKill, natsOutageWithAgentKill, type FaultContext, type FaultRecord } from './soak/faults.js';
import { LeadWatch, type LeadSample } from './soak/lead-watch.js';
import { NatsTap } from './soak/nats-tap.js';
import { OperationLoop, type SoakOperation } from './soak/operations.js';
import { soakOptions, soakTimeline, type SoakOptions, type Timeline } from './soak/plan.js';
import { printSoak } from './soak/print.js';

/** An operation can still collect ACKs this long after it was submitted (its timeout, and the held ones'). */
const OPERATION_REACH_MS = 30_000;

export interface SoakResults {
  options: SoakOptions;
  timeline: Timeline;
  agents: { simulated: number; daemons: number };
  windows: WindowFigures[];
  /** The whole measured period, every window together. */
  overall: WindowFigures;
  faults: (FaultRecord & { scheduledAtS: number; startedAtS: number })[];
  lostBy: LossGroup[];
  /** ACKs the lead recorded that no agent's records have (should be 0: the agents' records are complete). */
  unmatchedAtLead: LeadAck[];
  sensorEvents: string;
  operations: SoakOperation[];
  /** Samples of the lead (1 s), for the plots one may want later. */
  samples: LeadSample[];
}

function sensorColumn(): string {
  return (MESSAGE_KINDS as readonly string[]).includes('SENSOR_EVENT')
    ? 'not measured: the soak\'s agents have no sensors configured'
    : 'not available: no sensor event message on this branch (no SENSOR_EVENT kind in packages/shared)';
}

async function runSoak(options: SoakOptions): Promise<SoakResults> {
  const timeline = soakTimeline(options.durationS);
  stdout.write(`[soak] starting a mesh of ${options.agents} simulated agents and 1 daemon...\n`);
  // Breakers count but do not stop sends (as in bench:scale): on this shared machine one stall of
  // the lead makes every ACK of an operation late and opens them, after which nothing is sent and
  // there would be no ACKs left to measure. How often one was open is reported per window.
  const mesh = await startLocalMesh({
    agents: options.agents, daemons: 1, heartbeatMs: options.heartbeatMs, recordArrivals: true, simLogLevel: 'info', daemonLogLevel: 'debug', readyTimeoutMs: 120_000,
    leadConfig: { breakers: { metrics_only: true } },
  });
  const agentsTotal = mesh.agentIds.length;
  let agentAcks: AgentAck[] = [];
  let history: HistoryRow[] = [];
  const tap = await NatsTap.open(mesh.natsUrl, mesh.leads![0]!.leadId);
  const watch = new LeadWatch(mesh.api, () => mesh.leadPid);
  const loop = new OperationLoop(mesh.api, options.opIntervalS * 1000, 'soak-');
  const faults: SoakResults['faults'] = [];
  let t0 = 0;
  try {
    watch.start();
    stdout.write(`[soak] ${agentsTotal} agents active; warm-up ${options.warmupS} s (not measured)\n`);
    const warm = new OperationLoop(mesh.api, options.opIntervalS * 1000, 'warm-');
    warm.start();
    await sleep(options.warmupS * 1000);
    await warm.stop();

    t0 = Date.now();
    loop.start();
    const ctx: FaultContext = { mesh, tap, loop, watch, agentsTotal, outageMs: options.outageS * 1000, leadDownMs: options.leadDownS * 1000 };
    const watching: Promise<void>[] = [];
    for (const slot of timeline.faults) {
      await sleep(Math.max(0, t0 + slot.atS * 1000 - Date.now()));
      const startedAtS = (Date.now() - t0) / 1000;
      stdout.write(`[soak] ${startedAtS.toFixed(0)} s: ${slot.kind}\n`);
      const injected =
        slot.kind === 'flood' ? await flood(ctx, options.floodFrames, options.floodApiCalls) : slot.kind === 'lead-kill' ? await leadKill(ctx) : await natsOutageWithAgentKill(ctx);
      watching.push(
        injected.recoveries.then((recoveries) => {
          faults.push({ ...injected.record, recoveries, scheduledAtS: slot.atS, startedAtS });
          stdout.write(`[soak]   ${slot.kind} at ${startedAtS.toFixed(0)} s recovered: ${recoveries.map((r) => `${r.what}: ${r.ms === null ? 'NOT within the limit' : `${(r.ms / 1000).toFixed(1)} s`}`).join('; ')}\n`);
        }),
      );
    }
    await sleep(Math.max(0, t0 + options.durationS * 1000 - Date.now()));
    await Promise.all(watching);
    faults.sort((a, b) => a.startedAt - b.startedAt);
    stdout.write('[soak] measured period over; waiting for the last operations to settle\n');
    await loop.stop();
    // Late ACKs reach the history a moment after they arrive (LATE_ACK_SAVE_DELAY_MS).
    await sleep(3 * LATE_ACK_SAVE_DELAY_MS);
  } finally {
    await watch.stop();
    await tap.close();
    const daemonLogs = (mesh.daemons ?? []).flatMap((d) => d.proc.logFiles);
    await mesh.stop({
      beforeCleanup: async (dir) => {
        const sims = mesh.arrivalFiles.map((arrivals, k) => ({ arrivals, log: join(dir, `sim-${k}.log`) }));
        agentAcks = await readAgentAcks({ sims, daemonLogs });
        history = readHistory(dir);
      },
    });
  }

  const records = { t0, operations: loop.operations, agentAcks, leadAcks: leadAcks(history), samples: watch.samples, agentsTotal, heartbeatMs: options.heartbeatMs };
  const windows = timeline.phases.map((p) => windowFigures(records, p));
  const overall = windowFigures(records, { name: 'all', fromS: 0, toS: options.durationS });
  const measured = new Set(loop.operations.map((o) => o.id));
  const all = reconcile(agentAcks, records.leadAcks, (id) => measured.has(id));
  return {
    options,
    timeline,
    agents: { simulated: options.agents, daemons: 1 },
    windows,
    overall,
    faults,
    lostBy: lossGroups(all.lost, loop.operations, history, faults, OPERATION_REACH_MS),
    unmatchedAtLead: all.unmatchedAtLead,
    sensorEvents: sensorColumn(),
    operations: loop.operations,
    samples: watch.samples,
  };
}

/** Start-up, the drain and writing the report, beside the measured period and the warm-up. */
const OVERHEAD_MS = 150_000;

/** Under `npm run bench`, the measured period is shortened to end before the runner's deadline. */
function fitDeadline(options: SoakOptions): SoakOptions {
  const leftS = Math.floor(msLeft(benchDeadline(), OVERHEAD_MS + options.warmupS * 1000) / 1000);
  if (leftS >= options.durationS) return options;
  stdout.write(`[soak] measured period shortened from ${options.durationS} s to ${leftS} s to end before the run's deadline\n`);
  return { ...options, durationS: Math.max(60, leftS) };
}

if (import.meta.url === `file://${argv[1]}`) {
  const startedAt = new Date();
  const results = await runSoak(fitDeadline(soakOptions(argv.slice(2), env)));
  printSoak(results);
  stdout.write(`\nwritten: ${writeReport('soak', results, startedAt)}\n`);
  process.exit(0);
}
