/**
 * bench:soak — a local mesh (private nats-server, one lead, a few hundred simulated agents and
 * one real `mesh-agent run` daemon with its SQLite outbox) under steady heartbeats and a
 * scatter-gather or broadcast every few seconds, while faults are injected on a schedule: bad
 * frames on NATS and bad API calls, the broker killed and restarted on its port with ACKs
 * falling due meanwhile and the daemon SIGKILLed with them in its outbox, the lead SIGKILLed with
 * an operation in flight and started again on its database. It reports operations and their
 * outcomes, ACKs lost and duplicated (agents' own records against the lead's history, exactly),
 * lead RSS and event-loop delay per window, how long each recovery took, and sensor readings
 * lost (every sim has a virtual temperature, the daemon a command sensor: the readings each agent
 * took against those the lead stored, counted once the outboxes have drained). The first window
 * has no faults: it is the baseline the others are compared with.
 *
 *   npm run bench:soak                       (10 minutes measured, after a 30 s warm-up)
 *   npm run bench:soak -- --quick            (2 minutes, 200 agents)
 *   npm run bench:soak -- --duration 300     (or SOAK_DURATION_S; SOAK_AGENTS, SOAK_OP_INTERVAL_S...: soak/plan.ts)
 */
import { join } from 'node:path';
import { argv, env, stdout } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { actualPhases, soakOptions, soakTimeline, type Phase, type SoakOptions, type Timeline } from './soak/plan.js';
import { printSoak } from './soak/print.js';
import { countSensorReadings, type SensorFigures } from './soak/sensor-records.js';

/** An operation can still collect ACKs this long after it was submitted (its timeout, and the held ones'). */
const OPERATION_REACH_MS = 30_000;

export interface SoakResults {
  options: SoakOptions;
  timeline: Timeline;
  /** The windows as they ran: the fault window ends when the last fault has recovered, if that is after its schedule. */
  phases: Phase[];
  agents: { simulated: number; daemons: number };
  windows: WindowFigures[];
  /** The whole measured period, every window together. */
  overall: WindowFigures;
  faults: (FaultRecord & { scheduledAtS: number; startedAtS: number })[];
  lostBy: LossGroup[];
  /** ACKs the lead recorded that no agent's records have (should be 0: the agents' records are complete). */
  unmatchedAtLead: LeadAck[];
  /** Sensor readings taken against stored; `notCounted` when the count itself failed. */
  sensorEvents: SensorFigures | { notCounted: string };
  operations: SoakOperation[];
  /** Samples of the lead (1 s), for the plots one may want later. */
  samples: LeadSample[];
}

/** A command sensor that costs little to run: it prints the JSON value 1. */
const ECHO = '/bin/echo';
/** Sims read a virtual temperature this often (and have a relay); the daemon runs a command sensor. */
const SIM_SENSOR_INTERVAL_MS = 5_000;
const DAEMON_SENSOR_INTERVAL_MS = 2_000;
/** Far above the readings one sensor takes in a soak, so the lead's bound never trims one away. */
const SENSOR_HISTORY_PER_SENSOR = 20_000;
async function runSoak(options: SoakOptions): Promise<SoakResults> {
  const timeline = soakTimeline(options.durationS);
  stdout.write(`[soak] starting a mesh of ${options.agents} simulated agents and 1 daemon...\n`);
  // Breakers count but do not stop sends (as in bench:scale): on this shared machine one stall of
  // the lead makes every ACK of an operation late and opens them, after which nothing is sent and
  // there would be no ACKs left to measure. How often one was open is reported per window.
  const mesh = await startLocalMesh({
    agents: options.agents, daemons: 1, heartbeatMs: options.heartbeatMs, recordArrivals: true, simLogLevel: 'info', daemonLogLevel: 'debug', readyTimeoutMs: 120_000,
    leadConfig: { breakers: { metrics_only: true }, sensors: { history_per_sensor: SENSOR_HISTORY_PER_SENSOR } },
    virtualSensors: { interval_ms: SIM_SENSOR_INTERVAL_MS },
    daemonSensors: { sysfs_root: '/nonexistent', devices: [{ id: 'echo', kind: 'command', command: ECHO, args: ['1'], interval_ms: DAEMON_SENSOR_INTERVAL_MS }] },
  });
  const sensorsConfigured =
    `every sim: a virtual temperature every ${SIM_SENSOR_INTERVAL_MS / 1000} s and a relay (readings in a memory outbox); ` +
    `the daemon: a command sensor (${ECHO}) every ${DAEMON_SENSOR_INTERVAL_MS / 1000} s (readings in its SQLite outbox)`;
  let sensorEvents: SoakResults['sensorEvents'] = { notCounted: 'the soak stopped before its count' };
  const agentsTotal = mesh.agentIds.length;
  let agentAcks: AgentAck[] = [];
  let history: HistoryRow[] = [];
  const tap = await NatsTap.open(mesh.natsUrl, mesh.leads![0]!.leadId);
  const watch = new LeadWatch(mesh.api, () => mesh.leadPid);
  const loop = new OperationLoop(mesh.api, options.opIntervalS * 1000, 'soak-');
  const faults: SoakResults['faults'] = [];
  let t0 = 0;
  let phases = timeline.phases;
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
    // Each fault waits for the previous one's recoveries, so each recovery time is its own fault's;
    // on a slow machine the fault window then runs past its schedule and the tail starts later.
    for (const slot of timeline.faults) {
      await sleep(Math.max(0, t0 + slot.atS * 1000 - Date.now()));
      const startedAtS = (Date.now() - t0) / 1000;
      stdout.write(`[soak] ${startedAtS.toFixed(0)} s: ${slot.kind}${startedAtS > slot.atS + 1 ? ` (scheduled at ${slot.atS} s; the previous fault's recovery ran late)` : ''}\n`);
      const injected =
        slot.kind === 'flood' ? await flood(ctx, options.floodFrames, options.floodApiCalls) : slot.kind === 'lead-kill' ? await leadKill(ctx) : await natsOutageWithAgentKill(ctx);
      const recoveries = await injected.recoveries;
      // Agents by state once recovered: the lead may hold some in quarantine for ACKs they missed.
      const states = (await mesh.api.getOk<{ agents: { by_state: Record<string, number> } }>('/v1/status'))?.agents.by_state ?? null;
      faults.push({ ...injected.record, detail: { ...injected.record.detail, agents_by_state_after: states }, recoveries, scheduledAtS: slot.atS, startedAtS });
      stdout.write(`[soak]   recovered: ${recoveries.map((r) => `${r.what}: ${r.ms === null ? 'NOT within the limit' : `${(r.ms / 1000).toFixed(1)} s`}`).join('; ')}\n`);
    }
    phases = actualPhases(timeline, (Date.now() - t0) / 1000);
    await sleep(Math.max(0, t0 + phases.at(-1)!.toS * 1000 - Date.now()));
    stdout.write('[soak] measured period over; waiting for the last operations to settle\n');
    await loop.stop();
    // Late ACKs reach the history a moment after they arrive (LATE_ACK_SAVE_DELAY_MS).
    await sleep(3 * LATE_ACK_SAVE_DELAY_MS);
    stdout.write('[soak] counting sensor readings: the agents\' records against the lead\'s history\n');
    const daemonLogs = new Map((mesh.daemons ?? []).map((d) => [d.agentId, d.proc.logFiles]));
    sensorEvents = await countSensorReadings(mesh.api, mesh.agentIds, daemonLogs, sensorsConfigured).catch((error: unknown) => ({ notCounted: error instanceof Error ? error.message : String(error) }));
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
  const windows = phases.map((p) => windowFigures(records, p));
  const overall = windowFigures(records, { name: 'all', fromS: 0, toS: phases.at(-1)!.toS });
  const measured = new Set(loop.operations.map((o) => o.id));
  const all = reconcile(agentAcks, records.leadAcks, (id) => measured.has(id));
  return {
    options,
    timeline,
    phases,
    agents: { simulated: options.agents, daemons: 1 },
    windows,
    overall,
    faults,
    lostBy: lossGroups(all.lost, loop.operations, history, faults, OPERATION_REACH_MS),
    unmatchedAtLead: all.unmatchedAtLead,
    sensorEvents,
    operations: loop.operations,
    samples: watch.samples,
  };
}

/** Start-up, faults running past their schedule, the drain and writing the report, beside the measured period and the warm-up. */
const OVERHEAD_MS = 240_000;

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
