/**
 * bench:failover — kill -9 of the active lead, on a three-node JetStream cluster: how long until
 * heartbeats are answered again, and how many failed meanwhile. Two ways, in the same run:
 * - ha: two `mesh-lead run` processes with config `ha`; the standby takes the lease and serves.
 * - restart (baseline): one lead without `ha` (SQLite only), started again at once on the same
 *   config and data dir, as systemd would with no restart delay.
 *
 * Target (issue 16): a standby serving heartbeats within 3 s of the kill.
 * Small by design: one enrolled test agent heartbeating as fast as answers come (each failure
 * retried after 50 ms); not the 1,000 agents and running operations.
 *
 *   npm run bench:failover -- [--runs 3] [--ttl-ms 2000]
 *   npm run bench:failover -- --agents 1000 [--heartbeat-ms 2000]   (a sim fleet, failover-fleet.ts)
 */
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { stdout } from 'node:process';
import { makeTempDir, startNatsCluster, summarize } from '../harness/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../packages/cluster-lead/src/main.js';
import { accepted, killLead, logged, makeHaGroup, startHaLead, type HaGroup, type LeadProc } from '../../packages/cluster-lead/test/ha/support/ha-leads.js';
import { fleetRun } from './failover-fleet.js';
import { formatTable, writeReport } from './lib/report.js';

const TARGET_MS = 3_000;
const START_MS = 60_000;
const RETRY_MS = 50;

interface Outage {
  /** From the kill to the first accepted heartbeat, ms. */
  readonly servedAfterMs: number;
  /** Heartbeats sent in that time that were not accepted (no responders, timeout, refusal). */
  readonly failedHeartbeats: number;
}

/** Heartbeats from `since` until one is accepted, counting the failures. */
async function outageFrom(group: HaGroup, since: number, timeoutMs: number): Promise<Outage> {
  let failed = 0;
  for (;;) {
    try {
      const { reply } = await group.agent.heartbeat();
      if (reply.accepted) return { servedAfterMs: Date.now() - since, failedHeartbeats: failed };
    } catch {
      // no lead answering yet
    }
    failed += 1;
    if (Date.now() - since > timeoutMs) throw new Error(`no heartbeat accepted within ${timeoutMs} ms of the kill`);
    await delay(RETRY_MS);
  }
}

async function haRun(group: HaGroup, run: number, ttlMs: number): Promise<Outage> {
  const ha = { enabled: true, lease_key: `bench-${run}`, ttl_ms: ttlMs, replicas: 3 };
  const started: LeadProc[] = [];
  try {
    const active = await startHaLead(group, `ha-${run}-a`, ha);
    started.push(active);
    await logged(active, INTAKE_OPEN_MESSAGE, START_MS);
    const standby = await startHaLead(group, `ha-${run}-b`, ha);
    started.push(standby);
    await logged(standby, 'standing by for the lease', START_MS);
    await accepted(group.agent, START_MS);
    const killedAt = Date.now();
    await killLead(active);
    return await outageFrom(group, killedAt, 10 * ttlMs);
  } finally {
    await Promise.all(started.map(killLead));
  }
}

async function restartRun(group: HaGroup, run: number): Promise<Outage> {
  const started: LeadProc[] = [];
  try {
    const first = await startHaLead(group, `single-${run}`, undefined);
    started.push(first);
    await logged(first, INTAKE_OPEN_MESSAGE, START_MS);
    await accepted(group.agent, START_MS);
    const killedAt = Date.now();
    await killLead(first);
    const second = await startHaLead(group, `single-${run}`, undefined);
    started.push(second);
    return await outageFrom(group, killedAt, START_MS);
  } finally {
    await Promise.all(started.map(killLead));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'ttl-ms': { type: 'string', default: '2000' }, agents: { type: 'string' }, 'heartbeat-ms': { type: 'string', default: '2000' } } });
  const runs = Number(values.runs);
  const ttlMs = Number(values['ttl-ms']);
  const cluster = await startNatsCluster();
  const dir = await makeTempDir('mesh30k-bench-failover-');
  const group = await makeHaGroup(dir.path, cluster.urls);
  if (values.agents !== undefined) {
    try {
      const fleet = await fleetRun(group, Number(values.agents), Number(values['heartbeat-ms']), ttlMs);
      const file = writeReport('failover-fleet', { ttlMs, fleet, target: { servedWithinMs: TARGET_MS, met: fleet.heartbeatsAfterMs < TARGET_MS && fleet.apiAfterMs >= 0 && fleet.apiAfterMs < TARGET_MS } });
      stdout.write(`\nbench:failover --agents ${fleet.agents} — kill -9 of the active lead, 3-node JetStream cluster, ha.ttl_ms ${ttlMs}, heartbeat ${fleet.heartbeatMs} ms\n\n`);
      stdout.write(`${formatTable(['agents', 'heartbeats answered after ms', 'API ready after ms', 'all agents back after ms', 'agents seen by the standby'], [[String(fleet.agents), fleet.heartbeatsAfterMs, fleet.apiAfterMs, fleet.allAgentsAfterMs ?? -1, String(fleet.agentsSeen)]])}\n`);
      stdout.write(`results: ${file}\n`);
    } finally {
      await group.agent.close();
      await cluster.dispose();
      await dir.dispose();
    }
    return;
  }
  const rows: Array<{ run: number; ha: Outage; restart: Outage }> = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const ha = await haRun(group, run, ttlMs);
      const restart = await restartRun(group, run);
      rows.push({ run, ha, restart });
      stdout.write(`run ${run}: ha ${ha.servedAfterMs} ms, restart ${restart.servedAfterMs} ms\n`);
    }
  } finally {
    await group.agent.close();
    await cluster.dispose();
    await dir.dispose();
  }

  const ha = summarize(rows.map((row) => row.ha.servedAfterMs));
  const restart = summarize(rows.map((row) => row.restart.servedAfterMs));
  const met = ha.max < TARGET_MS;
  const table = formatTable(
    ['run', 'ha: served after ms', 'ha: failed heartbeats', 'restart: served after ms', 'restart: failed heartbeats'],
    rows.map((row) => [String(row.run), row.ha.servedAfterMs, String(row.ha.failedHeartbeats), row.restart.servedAfterMs, String(row.restart.failedHeartbeats)]),
  );
  const file = writeReport('failover', { runs, ttlMs, rows, ha, restart, target: { servedWithinMs: TARGET_MS, met } });
  stdout.write(`\nbench:failover — kill -9 of the active lead, 3-node JetStream cluster, ha.ttl_ms ${ttlMs}\n\n${table}\n\n`);
  stdout.write(`ha: p50 ${ha.p50} ms, max ${ha.max} ms (target < ${TARGET_MS} ms: ${met ? 'met' : 'MISSED'}); restart baseline: p50 ${restart.p50} ms, max ${restart.max} ms\n`);
  stdout.write(`results: ${file}\n`);
}

await main();
