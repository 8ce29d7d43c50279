/**
 * How many virtual agents one `mesh-agent sim` process sustains at 5 s heartbeats: starts a
 * private nats-server, the sim as its own process, and a minimal lead in this process; then
 * reports beats answered vs missed, RSS and CPU of the sim process, and writes JSON.
 *
 *   npx tsx packages/pi-daemon/test/bench/sim-scale.ts [count=5000] [seconds=60]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publicKeyText } from '@mesh30k/shared';
import { nodeEd25519, saveKeyPair } from '@mesh30k/shared/node';
import { makeTempDir, startNats, summarize } from '../../../../test/harness/index.js';
import { trueClock } from '../../src/clock/true-clock.js';
import { EnrollmentFile, trustStoreFrom } from '../../src/sim/enrollment.js';
import { virtualProfiles } from '../../src/sim/profiles.js';
import { SimSpec } from '../../src/sim/spec.js';
import { spawnCli } from '../support/daemon-process.js';
import { waitFor } from '../support/deadline.js';
import { MinimalLead } from '../support/minimal-lead.js';

const count = Number(process.argv[2] ?? 5_000);
const seconds = Number(process.argv[3] ?? 60);
const HEARTBEAT_MS = 5_000;

interface Report {
  sim: { agents: number; running: number; synced: number; heartbeatsSent: number; heartbeatsMissed: number };
  rss_mb: number;
  cpu_ms: number;
  at: number;
}

const HOLD_OPERATIONS = 3;
const HOLD_LEAD_MS = 3_000;
const SEED = 5;

const nats = await startNats();
const dir = await makeTempDir();
// No drift, so the bench can map each agent's ready stamp back to true time from the seed alone.
const spec = { lead_id: 'lead-bench', count, seed: SEED, heartbeat_interval_ms: HEARTBEAT_MS, processing: { median_ms: 20, spread: 0.3 }, clock: { offset_ms: { min: -3_000, max: 3_000 }, drift_ppm: { min: 0, max: 0 } } };
await writeFile(join(dir.path, 'spec.json'), JSON.stringify(spec));
const root = await nodeEd25519.generateKeyPair();
const leadKeys = await nodeEd25519.generateKeyPair();
await saveKeyPair(join(dir.path, 'root.key'), root);
const enrollPath = join(dir.path, 'enrollments.json');
const sim = spawnCli([
  'sim', '--nats', nats.url, '--lead-key', publicKeyText(leadKeys.publicKey), '--spec', join(dir.path, 'spec.json'), '--root-key', join(dir.path, 'root.key'), '--enrollments-out', enrollPath, '--report', '5',
  '--duration', String(seconds), '--log-level', 'error',
]);
await sim.waitForLine((l) => typeof l.sim === 'object', 'the first report', 120_000);
const file = EnrollmentFile.parse(JSON.parse(await readFile(enrollPath, 'utf8')));
const trust = await trustStoreFrom(nodeEd25519, [root.publicKey], file, trueClock);
const lead = await MinimalLead.start({ natsUrl: nats.url, leadId: 'lead-bench', keyPair: leadKeys, trust });
// Once every agent has had time to sync, a few hold-mode operations to the whole group.
const offsets = new Map(virtualProfiles(SimSpec.parse(spec)).map((p) => [p.agentId, p.offsetMs]));
const errors: number[] = [];
/** Split of the error: the agent's offset estimate, and its lateness against its own estimate of T. */
const offsetErrors: number[] = [];
const selfLateness: number[] = [];
// Checked twice a second, not per heartbeat: the condition walks every beat received so far.
const syncedAtLead = (): number => new Set(lead.heartbeats.filter((h) => h.heartbeat.clock.samples >= 2).map((h) => h.heartbeat.agent_id)).size;
let holdSkipped = false;
try {
  await waitFor(() => syncedAtLead() >= count, 'two clock samples on every agent', (seconds - 10) * 1000, 500);
} catch {
  // Reported below rather than thrown: the heartbeat figures are still worth having.
  holdSkipped = true;
}
for (let n = 0; n < (holdSkipped ? 0 : HOLD_OPERATIONS); n++) {
  const target = lead.now() + HOLD_LEAD_MS;
  const op = `op-bench-${n}`;
  await lead.coordinate({ operation_id: op, release_mode: 'hold', target_time: target });
  await waitFor(() => [...offsets.keys()].every((id) => lead.ackFor(op, id) !== undefined), `ACKs of ${op}`, 20_000, 200);
  for (const [id, offset] of offsets) {
    const ack = lead.ackFor(op, id)!;
    errors.push(ack.ready_at_local - offset - target);
    offsetErrors.push(ack.ready_at_mesh - ack.ready_at_local + offset);
    selfLateness.push(ack.ready_at_mesh - target);
  }
}
const hold = summarize(errors.map(Math.abs));
const offsetSummary = summarize(offsetErrors.map(Math.abs));
const latenessSummary = summarize(selfLateness);
await sim.exited;
const reports = sim.lines.filter((l) => typeof l.sim === 'object') as unknown as Report[];
const first = reports[1] ?? reports[0]!;
const last = reports.at(-1)!;
const spanS = (last.at - first.at) / 1000;
const expectedBeats = (count * spanS * 1000) / HEARTBEAT_MS;
const sent = last.sim.heartbeatsSent - first.sim.heartbeatsSent;
const missed = last.sim.heartbeatsMissed - first.sim.heartbeatsMissed;
const result = {
  agents: count,
  heartbeat_ms: HEARTBEAT_MS,
  window_s: spanS,
  beats_answered: sent,
  beats_missed: missed,
  beats_expected: Math.round(expectedBeats),
  answered_share: sent / expectedBeats,
  synced: last.sim.synced,
  sim_rss_mb: Math.max(...reports.map((r) => r.rss_mb)),
  sim_cpu_pct_of_core: ((last.cpu_ms - first.cpu_ms) / (spanS * 1000)) * 100,
  lead_heartbeats: lead.heartbeats.length,
  lead_refusals: lead.refusals.length,
  synced_at_lead: syncedAtLead(),
  hold_skipped: holdSkipped,
  hold_releases: hold.count,
  hold_abs_error_p50_ms: hold.p50,
  hold_abs_error_p99_ms: hold.p99,
  hold_abs_error_max_ms: hold.max,
  hold_offset_abs_error_p50_ms: offsetSummary.p50,
  hold_offset_abs_error_max_ms: offsetSummary.max,
  hold_self_lateness_p50_ms: latenessSummary.p50,
  hold_self_lateness_max_ms: latenessSummary.max,
};
process.stdout.write(`${Object.entries(result).map(([k, v]) => `${k.padEnd(20)} ${typeof v === 'number' ? Number(v.toFixed(3)) : v}`).join('\n')}\n`);
await mkdir('bench-results', { recursive: true });
await writeFile(join('bench-results', `sim-scale-${count}.json`), `${JSON.stringify(result, null, 2)}\n`);
await lead.close();
await nats.dispose();
await dir.dispose();
