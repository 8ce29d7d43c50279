/**
 * What store.backend "jetstream" costs the lead beside "sqlite", in one run: the same `mesh-lead
 * run` process config but the backend, the same enrolled agents beating the same rounds. Per
 * backend: the lead's CPU (from /proc, all threads) per heartbeat answered, and the KV puts it
 * made (the buckets' last sequence numbers, summed) per second and per heartbeat. Each round a
 * share of the agents reports a new context hash (a durable change: the agent is dirty and its
 * KV entry is written at the next snapshot pass); the rest change only what every heartbeat
 * moves, which is never mirrored.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'nats';
import { generateKeyFile } from '@mesh30k/shared/node';
import { INTAKE_OPEN_MESSAGE } from '../../src/main.js';
import { KINDS, bucketName } from '../../src/replication/index.js';
import { HA_CLUSTER_ID, HA_LEAD_ID, killLead, logged, startHaLead, type HaGroup } from '../ha/support/ha-leads.js';
import { TestAgent, createTestRoot } from '../support/test-agents.js';

const CLK_TCK = 100;
const START_MS = 60_000;
const PREFIX = 'cost';

export interface CostOptions {
  readonly agents: number;
  readonly rounds: number;
  /** Share of the agents whose context changes each round. */
  readonly churn: number;
  /** store.snapshot_interval_ms of the leads. */
  readonly snapshotMs: number;
}

export interface CostRow {
  readonly backend: 'sqlite' | 'jetstream';
  readonly heartbeats: number;
  readonly seconds: number;
  readonly cpuUsPerHeartbeat: number;
  readonly kvPuts: number;
  readonly kvPutsPerSec: number;
  readonly kvPutsPerHeartbeat: number;
  readonly kvPutsByKind: Record<string, number>;
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Each bucket's last sequence: every put the lead made there (0 for buckets that do not exist). */
async function kvPuts(servers: readonly string[]): Promise<Record<string, number>> {
  const nc = await connect({ servers: [...servers] });
  try {
    const jsm = await nc.jetstreamManager();
    const out: Record<string, number> = {};
    for (const kind of KINDS) {
      try {
        out[kind] = (await jsm.streams.info(`KV_${bucketName({ prefix: PREFIX, clusterId: HA_CLUSTER_ID }, kind)}`)).state.last_seq;
      } catch {
        out[kind] = 0; // not created (backend sqlite)
      }
    }
    return out;
  } finally {
    await nc.close();
  }
}

export async function replicationCost(dir: string, servers: readonly string[], options: CostOptions): Promise<CostRow[]> {
  const root = await createTestRoot();
  const leadKeys = await generateKeyFile(join(dir, 'lead.key'));
  const agents: TestAgent[] = [];
  for (let i = 0; i < options.agents; i++) {
    const agentId = `pi-${String(i).padStart(4, '0')}`;
    agents.push(await TestAgent.create({ agentId, leadId: HA_LEAD_ID, leadPublicKey: leadKeys.publicKey, root, clusterId: HA_CLUSTER_ID, clock: { now: () => Date.now() } }));
  }
  await writeFile(join(dir, 'enrollments.json'), JSON.stringify(agents.map((agent) => agent.enrollment)));
  for (const agent of agents) await agent.connect(servers[0]!);
  const group: HaGroup = { dir, servers, root, agent: agents[0]!, leadKeys: [leadKeys.publicKey] };
  const rows: CostRow[] = [];
  try {
    for (const backend of ['sqlite', 'jetstream'] as const) {
      const lead = await startHaLead(group, `cost-${backend}`, undefined, {}, {
        store: { backend, jetstream: { replicas: servers.length >= 3 ? 3 : 1, prefix: PREFIX }, snapshot_interval_ms: options.snapshotMs },
      });
      try {
        await logged(lead, INTAKE_OPEN_MESSAGE, START_MS);
        // Every agent registered once (new agents are dirty: written on the next pass), then measured.
        await Promise.all(agents.map((agent) => agent.heartbeat()));
        await new Promise((resolve) => setTimeout(resolve, options.snapshotMs * 2));
        const pid = lead.child.pid!;
        const cpuBefore = cpuSeconds(pid);
        const putsBefore = await kvPuts(servers);
        const started = Date.now();
        let heartbeats = 0;
        for (let round = 0; round < options.rounds; round++) {
          const changed = new Set(Array.from({ length: Math.round(options.agents * options.churn) }, (_, i) => (round * 7919 + i * 31) % options.agents));
          const answers = await Promise.all(
            agents.map((agent, i) => agent.heartbeat(changed.has(i) ? { impedance: { current_context_hash: createHash('sha256').update(`${round}-${i}`).digest('hex') } } : {})),
          );
          heartbeats += answers.filter((answer) => answer.reply.accepted).length;
        }
        // One more pass so the last round's changes are written inside the window.
        await new Promise((resolve) => setTimeout(resolve, options.snapshotMs * 2));
        const seconds = (Date.now() - started) / 1000;
        const cpu = cpuSeconds(pid) - cpuBefore;
        const putsAfter = await kvPuts(servers);
        const byKind = Object.fromEntries(KINDS.map((kind) => [kind, (putsAfter[kind] ?? 0) - (putsBefore[kind] ?? 0)]));
        const puts = Object.values(byKind).reduce((a, b) => a + b, 0);
        rows.push({
          backend,
          heartbeats,
          seconds,
          cpuUsPerHeartbeat: (cpu * 1e6) / heartbeats,
          kvPuts: puts,
          kvPutsPerSec: puts / seconds,
          kvPutsPerHeartbeat: puts / heartbeats,
          kvPutsByKind: byKind,
        });
      } finally {
        await killLead(lead);
      }
    }
  } finally {
    for (const agent of agents) await agent.close();
  }
  return rows;
}
