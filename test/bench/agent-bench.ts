/**
 * bench:agent — what one Pi agent costs, and how many virtual agents one process carries.
 *
 *   1. Idle footprint: ONE real agent (`mesh-agent run --config`, its own process, a real config
 *      and key, production defaults: 5 s heartbeats, 15 s health samples, info logging) against
 *      a private nats-server and the minimal lead. After a discarded warm-up, /proc/<pid>/stat
 *      (utime + stime, all threads) and /proc/<pid>/status (VmRSS) are sampled every second.
 *      Targets: < 1% of one core, < 80 MB RSS.
 *   2. Sim capacity: `mesh-agent sim` at each step (virtual agents, 5 s heartbeats), a fresh
 *      minimal lead per step in this process. Over a window after warm-up: beats received at the
 *      lead vs the nominal count, beats missed (per agent, from the gaps between its beats at the
 *      lead, plus the sim's own count of unanswered beats), and the sim process's CPU and RSS
 *      from /proc. The largest step with zero missed beats is the result. Target: >= 5,000.
 *
 * The children run the built bundle (this script runs `npm run build -w @mesh30k/pi-daemon`
 * first) through bin/mesh-agent.js with MESH_USE_BUNDLE=1; the report says which runtime was used.
 *
 *   npm run bench:agent
 *   npx tsx test/bench/agent-bench.ts [--steps 1000,2500,5000,7500] [--window 40] [--idle 60]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { publicKeyText } from '@mesh30k/shared';
import { nodeEd25519, saveKeyPair } from '@mesh30k/shared/node';
import { trueClock } from '../../packages/pi-daemon/src/clock/true-clock.js';
import { EnrollmentFile, trustStoreFrom } from '../../packages/pi-daemon/src/sim/enrollment.js';
import { buildAgent, sampleProc, sleep, spawnAgent, summarizeProc, type ProcSummary } from '../../packages/pi-daemon/test/bench/proc.js';
import { provisionDaemon } from '../../packages/pi-daemon/test/support/daemon-config.js';
import { createTestMesh } from '../../packages/pi-daemon/test/support/fixtures.js';
import { MinimalLead } from '../../packages/pi-daemon/test/support/minimal-lead.js';
import { makeTempDir, startNats, type NatsServer, type TempDir } from '../harness/index.js';
import { formatTable, writeReport } from './lib/report.js';

const { values: flags } = parseArgs({
  options: {
    steps: { type: 'string', default: '1000,2500,5000,7500' },
    window: { type: 'string', default: '40' },
    idle: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
  },
});
const STEPS = flags.steps.split(',').map(Number);
const WINDOW_S = Number(flags.window);
const IDLE_S = Number(flags.idle);
const WARMUP_S = Number(flags.warmup);
const HEARTBEAT_MS = 5_000;
const JITTER = 0.1;
/** A gap between two beats of one agent longer than this is at least one missed beat. */
const LATE_GAP_MS = HEARTBEAT_MS * (1 + JITTER) + 500;
/** The generator reached the asked rate when it sent at least this share of the nominal beats. */
const RATE_REACHED = 0.98;
const TARGETS = { idle_cpu_pct: 1, idle_rss_mb: 80, sim_agents: 5_000 };

interface IdleResult extends ProcSummary {
  warmup_s: number;
  beats_at_lead: number;
  beats_expected: number;
}

interface StepResult {
  agents: number;
  window_s: number;
  beats_expected: number;
  beats_sent_by_sim: number;
  /** Beats the sim sent (answered or missed) over its own totals lines, as a share of the nominal rate. */
  sim_rate_share: number;
  beats_received_at_lead: number;
  missed_at_lead: number;
  missed_by_sim: number;
  agents_silent: number;
  rate_reached: boolean;
  lead_refusals: number;
  startup_s: number;
  sim: ProcSummary;
}

const startedAt = new Date();
const t0 = Date.now();
/** Other work on the machine skews every figure here; the load average is recorded beside them. */
const loadAtStart = loadavg();
const built = buildAgent();
process.stdout.write(`mesh-agent runtime: ${built.runtime}${built.buildError === undefined ? '' : ` (build failed: ${built.buildError})`}\n`);
const nats = await startNats();
const dir = await makeTempDir();
try {
  const idle = await measureIdle(nats, dir);
  process.stdout.write(`\nidle agent (${idle.window_s.toFixed(0)} s after ${WARMUP_S} s warm-up)\n`);
  process.stdout.write(
    `${formatTable(
      ['cpu % of a core', 'rss max MB', 'rss median MB', 'beats at lead', 'expected'],
      [[idle.cpu_pct_of_core.toFixed(3), idle.rss_max_mb, idle.rss_median_mb, idle.beats_at_lead, idle.beats_expected]],
    )}\n`,
  );
  const steps: StepResult[] = [];
  for (const count of STEPS) {
    const step = await measureSimStep(nats, dir, count);
    steps.push(step);
    process.stdout.write(`  ${count} agents: received ${step.beats_received_at_lead}/${step.beats_expected}, missed ${step.missed_at_lead} (lead) ${step.missed_by_sim} (sim), cpu ${step.sim.cpu_pct_of_core.toFixed(1)}%, rss ${step.sim.rss_max_mb.toFixed(0)} MB\n`);
  }
  const sustained = steps.filter((s) => s.missed_at_lead === 0 && s.missed_by_sim === 0 && s.agents_silent === 0 && s.rate_reached).map((s) => s.agents);
  const maxSustained = sustained.length === 0 ? 0 : Math.max(...sustained);
  process.stdout.write(`\nvirtual agents, one sim process, ${HEARTBEAT_MS / 1000} s heartbeats, ${WINDOW_S} s window after ${WARMUP_S} s warm-up\n`);
  process.stdout.write(
    `${formatTable(
      ['agents', 'expected', 'sim rate %', 'received (lead)', 'missed (lead)', 'missed (sim)', 'silent', 'rate reached', 'sim cpu %', 'sim rss max MB', 'start s'],
      steps.map((s) => [s.agents, s.beats_expected, (s.sim_rate_share * 100).toFixed(1), s.beats_received_at_lead, s.missed_at_lead, s.missed_by_sim, s.agents_silent, s.rate_reached ? 'yes' : 'NO', s.sim.cpu_pct_of_core, s.sim.rss_max_mb, s.startup_s]),
    )}\n`,
  );
  const verdict = {
    idle_cpu_ok: idle.cpu_pct_of_core < TARGETS.idle_cpu_pct,
    idle_rss_ok: idle.rss_max_mb < TARGETS.idle_rss_mb,
    max_sustained_agents: maxSustained,
    sim_ok: maxSustained >= TARGETS.sim_agents,
  };
  process.stdout.write(
    `\nidle: ${idle.cpu_pct_of_core.toFixed(3)}% of a core (target < ${TARGETS.idle_cpu_pct}%: ${verdict.idle_cpu_ok ? 'met' : 'MISSED'}), ` +
      `${idle.rss_max_mb.toFixed(1)} MB RSS max (target < ${TARGETS.idle_rss_mb} MB: ${verdict.idle_rss_ok ? 'met' : 'MISSED'})\n` +
      `sim: ${maxSustained} agents with zero missed beats (target >= ${TARGETS.sim_agents}: ${verdict.sim_ok ? 'met' : 'MISSED'}` +
      `${maxSustained === Math.max(...STEPS) ? '; the largest step tried, so the ceiling is higher' : ''})\n`,
  );
  const file = writeReport('agent', { runtime: built.runtime, heartbeat_ms: HEARTBEAT_MS, warmup_s: WARMUP_S, targets: TARGETS, verdict, idle, steps, load_average: { at_start: loadAtStart, at_end: loadavg() }, total_s: (Date.now() - t0) / 1000 }, startedAt);
  process.stdout.write(`load average (1, 5, 15 min): ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end\n`);
  process.stdout.write(`written ${file} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
} finally {
  await nats.dispose();
  await dir.dispose();
}

async function measureIdle(server: NatsServer, temp: TempDir): Promise<IdleResult> {
  const mesh = await createTestMesh('lead-idle');
  const config = await provisionDaemon({
    mesh,
    dir: join(temp.path, 'idle'),
    agentId: 'pi-idle',
    natsUrl: server.url,
    // Production defaults for everything that costs CPU: heartbeat, health, pings, logging.
    extra: { nats: { servers: [server.url] }, heartbeat_interval_ms: HEARTBEAT_MS, health: {}, log_level: 'info' },
  });
  const lead = await MinimalLead.start({ natsUrl: server.url, leadId: mesh.leadId, keyPair: mesh.lead, trust: mesh.trust });
  const agent = spawnAgent(['run', '--config', config]);
  try {
    await agent.waitForLine((l) => l.event === 'agent.connected', 'the agent connected', 30_000);
    await sleep(WARMUP_S * 1000);
    const from = lead.now();
    const samples = await sampleProc(agent.pid, IDLE_S * 1000);
    const to = lead.now();
    const beats = lead.heartbeats.filter((h) => h.t2 >= from && h.t2 < to).length;
    return { ...summarizeProc(samples), warmup_s: WARMUP_S, beats_at_lead: beats, beats_expected: Math.round((to - from) / HEARTBEAT_MS) };
  } finally {
    await agent.stop();
    await lead.close();
  }
}

async function measureSimStep(server: NatsServer, temp: TempDir, count: number): Promise<StepResult> {
  const stepDir = join(temp.path, `sim-${count}`);
  await mkdir(stepDir, { recursive: true });
  const leadId = `lead-sim-${count}`;
  const spec = { lead_id: leadId, count, seed: count, id_prefix: `s${count}`, heartbeat_interval_ms: HEARTBEAT_MS, heartbeat_jitter: JITTER };
  await writeFile(join(stepDir, 'spec.json'), JSON.stringify(spec));
  const root = await nodeEd25519.generateKeyPair();
  const leadKeys = await nodeEd25519.generateKeyPair();
  await saveKeyPair(join(stepDir, 'root.key'), root);
  const enrollPath = join(stepDir, 'enrollments.json');
  const started = Date.now();
  const sim = spawnAgent([
    'sim', '--nats', server.url, '--lead-key', publicKeyText(leadKeys.publicKey), '--spec', join(stepDir, 'spec.json'),
    '--root-key', join(stepDir, 'root.key'), '--enrollments-out', enrollPath, '--report', '2', '--log-level', 'error',
  ]);
  let lead: MinimalLead | undefined;
  try {
    // The enrollments are written before the agents start; start the lead as soon as they exist.
    let text: string | undefined;
    while (text === undefined) {
      try {
        text = await readFile(enrollPath, 'utf8');
        EnrollmentFile.parse(JSON.parse(text));
      } catch {
        text = undefined;
        if (sim.child.exitCode !== null) throw new Error(`sim exited: ${sim.stderr.join('').slice(-2000)}`);
        await sleep(100);
      }
    }
    const trust = await trustStoreFrom(nodeEd25519, [root.publicKey], EnrollmentFile.parse(JSON.parse(text)), trueClock);
    lead = await MinimalLead.start({ natsUrl: server.url, leadId, keyPair: leadKeys, trust });
    await sim.waitForLine((l) => typeof l.sim === 'object', 'the first totals line', 120_000);
    const startupS = (Date.now() - started) / 1000;
    await sleep(WARMUP_S * 1000);
    const totalsBefore = latestTotals(sim.lines);
    const from = lead.now();
    const samples = await sampleProc(sim.pid, WINDOW_S * 1000);
    const to = lead.now();
    // The totals line after the window (the sim prints one every 2 s).
    const linesAtEnd = sim.lines.length;
    await sim.waitForLine((l) => typeof l.sim === 'object' && sim.lines.indexOf(l) >= linesAtEnd, 'totals after the window', 10_000);
    const totalsAfter = latestTotals(sim.lines);
    const windowMs = to - from;
    const expected = Math.round((count * windowMs) / HEARTBEAT_MS);
    const byAgent = new Map<string, number[]>();
    let received = 0;
    for (const { heartbeat, t2 } of lead.heartbeats) {
      if (t2 < from || t2 >= to) continue;
      received++;
      const list = byAgent.get(heartbeat.agent_id);
      if (list === undefined) byAgent.set(heartbeat.agent_id, [t2]);
      else list.push(t2);
    }
    let missedAtLead = 0;
    for (const times of byAgent.values()) {
      const points = [from, ...times.sort((a, b) => a - b), to];
      for (let i = 1; i < points.length; i++) missedAtLead += Math.floor((points[i]! - points[i - 1]!) / LATE_GAP_MS);
    }
    const silent = count - byAgent.size;
    missedAtLead += silent * Math.floor(windowMs / LATE_GAP_MS);
    // Answered + missed, over the sim's own totals lines that bracket the window (2 s apart).
    const sentBySim = totalsAfter.heartbeatsSent + totalsAfter.heartbeatsMissed - (totalsBefore.heartbeatsSent + totalsBefore.heartbeatsMissed);
    const totalsSpanMs = totalsAfter.at - totalsBefore.at;
    const nominalOverTotalsSpan = (count * totalsSpanMs) / HEARTBEAT_MS;
    return {
      agents: count,
      window_s: windowMs / 1000,
      beats_expected: expected,
      beats_sent_by_sim: sentBySim,
      sim_rate_share: sentBySim / nominalOverTotalsSpan,
      beats_received_at_lead: received,
      missed_at_lead: missedAtLead,
      missed_by_sim: totalsAfter.heartbeatsMissed - totalsBefore.heartbeatsMissed,
      agents_silent: silent,
      rate_reached: sentBySim >= RATE_REACHED * nominalOverTotalsSpan && received >= RATE_REACHED * expected,
      lead_refusals: lead.refusals.length,
      startup_s: startupS,
      sim: summarizeProc(samples),
    };
  } finally {
    await sim.stop();
    await lead?.close();
  }
}

interface Totals {
  heartbeatsSent: number;
  heartbeatsMissed: number;
  at: number;
}

function latestTotals(lines: readonly Record<string, unknown>[]): Totals {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as { sim?: { heartbeatsSent: number; heartbeatsMissed: number }; at?: number };
    if (line.sim !== undefined && line.at !== undefined) return { heartbeatsSent: line.sim.heartbeatsSent, heartbeatsMissed: line.sim.heartbeatsMissed, at: line.at };
  }
  throw new Error('no totals line from the sim');
}
