/**
 * bench:sim — what the load generator itself costs: one `mesh-agent sim` process (the built
 * bundle) of N virtual agents at 5 s heartbeats against the minimal lead in this process, its
 * CPU (from /proc, every thread) over a window after a warm-up, divided by the heartbeats it
 * got answered in that window (its own totals lines at the window's edges).
 *
 *   npm run bench:sim                                  (2,500 and 5,000 agents)
 *   npx tsx test/bench/sim-cost-bench.ts --agents 5000 --window 20 --warmup 25
 *   npx tsx test/bench/sim-cost-bench.ts --agents 5000 --cpu-prof /tmp/prof   (a .cpuprofile of the sim)
 *   npx tsx test/bench/sim-cost-bench.ts --sim-node-args '--max-semi-space-size=32'   (node flags for the sim)
 *   npx tsx test/bench/sim-cost-bench.ts --auth ed25519                        (signed beats; default session)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { publicKeyText } from '@mesh30k/shared';
import { nodeEd25519, saveKeyPair } from '@mesh30k/shared/node';
import { trueClock } from '../../packages/pi-daemon/src/clock/true-clock.js';
import { EnrollmentFile, trustStoreFrom } from '../../packages/pi-daemon/src/sim/enrollment.js';
import { buildAgent, readProc, sleep, spawnAgent } from '../../packages/pi-daemon/test/bench/proc.js';
import { MinimalLead } from '../../packages/pi-daemon/test/support/minimal-lead.js';
import { makeTempDir, startNats } from '../harness/index.js';
import { formatTable, writeReport } from './lib/report.js';

const { values: flags } = parseArgs({
  options: {
    agents: { type: 'string', default: '2500,5000' },
    window: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '25' },
    'cpu-prof': { type: 'string' },
    /** Extra node flags for the sim process, space-separated (e.g. V8 heap flags). */
    'sim-node-args': { type: 'string', default: '' },
    /** How the virtual agents authenticate heartbeats (the minimal lead answers both). */
    auth: { type: 'string', default: 'session' },
  },
});
const HEARTBEAT_MS = 5_000;
const AUTH = flags.auth === 'ed25519' ? 'ed25519' : 'session';
const REPORT_S = 1;

interface Totals {
  heartbeatsSent: number;
  heartbeatsMissed: number;
  /** Absent from sims that predate it. */
  inSession: number | undefined;
  at: number;
}

export interface SimCostStep {
  agents: number;
  windowS: number;
  /** Heartbeats the sim had answered in the window, and those it counted missed. */
  answered: number;
  missed: number;
  /** Sessions the lead had opened by the window's end (session mode: about one per agent). */
  sessionsOpened: number;
  askedPerSec: number;
  simCores: number;
  simRssMb: number;
  /** Sim CPU per answered heartbeat, µs: everything the process did, divided by its beats. */
  simCpuUsPerHeartbeat: number;
  startupS: number;
  /** Seconds from spawn until 99% of agents were in session (session mode). */
  sessionsS: number;
  /** Agents in session at the window's end (sims that report it). */
  inSessionAtEnd: number | undefined;
}

function totalsOf(line: Record<string, unknown>): Totals | undefined {
  const sim = line.sim as { heartbeatsSent?: number; heartbeatsMissed?: number; inSession?: number } | undefined;
  return sim?.heartbeatsSent === undefined || typeof line.at !== 'number' ? undefined : { heartbeatsSent: sim.heartbeatsSent, heartbeatsMissed: sim.heartbeatsMissed ?? 0, inSession: sim.inSession, at: line.at };
}

async function step(natsUrl: string, dir: string, agents: number): Promise<SimCostStep> {
  const leadId = `lead-cost-${agents}`;
  const specPath = join(dir, `spec-${agents}.json`);
  await writeFile(specPath, JSON.stringify({ lead_id: leadId, count: agents, seed: agents, id_prefix: `c${agents}`, heartbeat_interval_ms: HEARTBEAT_MS, heartbeat_auth: AUTH }));
  const root = await nodeEd25519.generateKeyPair();
  const leadKeys = await nodeEd25519.generateKeyPair();
  await saveKeyPair(join(dir, `root-${agents}.key`), root);
  const enrollPath = join(dir, `enrollments-${agents}.json`);
  const started = Date.now();
  const profDir = flags['cpu-prof'];
  if (profDir !== undefined) await mkdir(profDir, { recursive: true });
  const sim = spawnAgent(
    ['sim', '--nats', natsUrl, '--lead-key', publicKeyText(leadKeys.publicKey), '--spec', specPath, '--root-key', join(dir, `root-${agents}.key`), '--enrollments-out', enrollPath, '--report', String(REPORT_S), '--log-level', process.env.SIM_LOG_LEVEL ?? 'error'],
    [...flags['sim-node-args'].split(' ').filter((arg) => arg !== ''), ...(profDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir])],
  );
  let lead: MinimalLead | undefined;
  try {
    let file: EnrollmentFile | undefined;
    while (file === undefined) {
      try {
        file = EnrollmentFile.parse(JSON.parse(await readFile(enrollPath, 'utf8')));
      } catch {
        if (sim.child.exitCode !== null) throw new Error(`sim exited: ${sim.stderr.join('').slice(-2000)}`);
        await sleep(100);
      }
    }
    lead = await MinimalLead.start({ natsUrl, leadId, keyPair: leadKeys, trust: await trustStoreFrom(nodeEd25519, [root.publicKey], file, trueClock), sessions: {} });
    await sim.waitForLine((l) => totalsOf(l) !== undefined, 'the first totals line', 120_000);
    const startupS = (Date.now() - started) / 1000;
    // Session mode: the warm-up starts once every agent tags its beats (handshakes are start-up work).
    // A sim too old to report it: until the lead has opened as many sessions, plus 30 s.
    if (AUTH === 'session') {
      const first = totalsOf(sim.lines.find((l) => totalsOf(l) !== undefined)!)!;
      // 99%: an agent whose handshakes kept failing backs off for minutes (heartbeat-session.ts).
      if (first.inSession !== undefined) await sim.waitForLine((l) => (totalsOf(l)?.inSession ?? 0) >= agents * 0.99, '99% of agents in session', 300_000);
      else {
        while (lead.sessionsOpened < agents) await sleep(500);
        await sleep(30_000);
      }
    }
    const sessionsS = (Date.now() - started) / 1000;
    await sleep(Number(flags.warmup) * 1000);
    // Both edges are a totals line and a /proc reading taken right after it.
    const edge = async (): Promise<{ totals: Totals; cpuMs: number; rssMb: number }> => {
      const seen = sim.lines.length;
      const line = await sim.waitForLine((l) => sim.lines.indexOf(l) >= seen && totalsOf(l) !== undefined, 'a totals line', 10_000);
      const proc = readProc(sim.pid);
      return { totals: totalsOf(line)!, cpuMs: proc.cpuMs, rssMb: proc.rssMb };
    };
    const a = await edge();
    await sleep(Number(flags.window) * 1000);
    const b = await edge();
    const windowS = (b.totals.at - a.totals.at) / 1000;
    const answered = b.totals.heartbeatsSent - a.totals.heartbeatsSent;
    const cpuMs = b.cpuMs - a.cpuMs;
    return {
      agents,
      windowS,
      answered,
      missed: b.totals.heartbeatsMissed - a.totals.heartbeatsMissed,
      sessionsOpened: lead.sessionsOpened,
      askedPerSec: (agents * 1000) / HEARTBEAT_MS,
      simCores: cpuMs / 1000 / windowS,
      simRssMb: Math.round(b.rssMb),
      simCpuUsPerHeartbeat: answered > 0 ? (cpuMs * 1000) / answered : Number.NaN,
      startupS,
      sessionsS,
      inSessionAtEnd: b.totals.inSession,
    };
  } finally {
    await sim.stop();
    await lead?.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const startedAt = new Date();
  const { runtime, buildError } = buildAgent();
  process.stdout.write(`sim runtime: ${runtime}${buildError === undefined ? '' : ` (build failed: ${buildError})`}\n`);
  const temp = await makeTempDir('mesh30k-simcost-');
  const nats = await startNats();
  const steps: SimCostStep[] = [];
  try {
    for (const agents of flags.agents.split(',').map(Number)) {
      process.stdout.write(`[sim] ${agents} agents...\n`);
      steps.push(await step(nats.url, temp.path, agents));
    }
  } finally {
    await nats.dispose();
    await temp.dispose();
  }
  process.stdout.write(
    `\nsim cost: one sim process, ${AUTH} heartbeats every ${HEARTBEAT_MS / 1000} s, ${flags.warmup} s warm-up, then a window of about ${flags.window} s\n\n${formatTable(
      ['agents', 'window s', 'answered', 'missed', 'sessions', 'hb/s asked', 'sim cores', 'sim RSS MB', 'sim µs/hb', 'start-up s', '99% in session s', 'in session at end'],
      steps.map((s) => [s.agents, s.windowS, s.answered, s.missed, s.sessionsOpened, s.askedPerSec, s.simCores.toFixed(3), s.simRssMb, s.simCpuUsPerHeartbeat, s.startupS, s.sessionsS, s.inSessionAtEnd ?? '-']),
    )}\n`,
  );
  process.stdout.write(`\nwritten: ${writeReport('sim-cost', { runtime, auth: AUTH, heartbeatMs: HEARTBEAT_MS, warmupS: Number(flags.warmup), steps }, startedAt)}\n`);
  process.exit(0);
}
