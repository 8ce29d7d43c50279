/**
 * bench:failover with a fleet (--agents N): one `mesh-agent sim` process of N virtual agents
 * heartbeating two HA leads of one cluster, the test agent probing, and kill -9 of the active
 * lead. Measured from the kill: when the standby answers heartbeats, when its API answers
 * (GET /health/ready: a standby serves its API but answers 503 there until its intake opens), and when it has seen every virtual agent again (its agent.registered
 * events: a standby keeps its own SQLite store, so each agent is new to it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { publicKeyText } from '@mesh30k/shared';
import { loadKeyPair, saveKeyPair } from '@mesh30k/shared/node';
import { AGENT_BIN, bundleEnv, waitFor } from '../harness/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../packages/cluster-lead/src/main.js';
import { HA_CLUSTER_ID, HA_LEAD_ID, killLead, logged, startHaLead, type HaGroup, type LeadProc } from '../../packages/cluster-lead/test/ha/support/ha-leads.js';

const START_MS = 180_000;
const RETRY_MS = 50;
/** A loaded 2-core machine signs and verifies 1,000 first heartbeats (and their sessions) slowly. */
const REGISTER_MS = 420_000;

export interface FleetOutage {
  readonly agents: number;
  readonly heartbeatMs: number;
  /** Kill to the first heartbeat the standby accepted (the test agent's). */
  readonly heartbeatsAfterMs: number;
  /** Kill to the standby's API answering GET /health/ready with 200. */
  readonly apiAfterMs: number;
  /** Kill to the standby having registered every virtual agent; null if not within the wait. */
  readonly allAgentsAfterMs: number | null;
  readonly agentsSeen: number;
}

/** The sim's enrollments (signed with the group's root), then written beside the test agent's for the leads. */
async function startSim(group: HaGroup, agents: number, heartbeatMs: number): Promise<ChildProcess> {
  const rootFile = join(group.dir, 'root.key');
  await saveKeyPair(rootFile, group.root.keys);
  const lead = await loadKeyPair(join(group.dir, 'lead.key'));
  const spec = { lead_id: HA_LEAD_ID, cluster_id: HA_CLUSTER_ID, count: agents, id_prefix: 'f', seed: 1, heartbeat_interval_ms: heartbeatMs };
  const specPath = join(group.dir, 'fleet.spec.json');
  const out = join(group.dir, 'fleet.enrollments.json');
  await writeFile(specPath, JSON.stringify(spec));
  const args = [AGENT_BIN, 'sim', '--spec', specPath, '--lead-key', publicKeyText(lead.publicKey), '--root-key', rootFile, '--enrollments-out', out, '--log-level', 'error'];
  for (const url of group.servers) args.push('--nats', url);
  const sim = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...bundleEnv() } });
  const entries = await waitFor(`the sim's ${agents} enrollments`, START_MS, async () => {
    try {
      return (JSON.parse(await readFile(out, 'utf8')) as { enrollments: { enrollment: unknown }[] }).enrollments;
    } catch {
      return undefined;
    }
  });
  const file = join(group.dir, 'enrollments.json');
  const existing = JSON.parse(await readFile(file, 'utf8')) as unknown[];
  await writeFile(file, JSON.stringify([...existing.slice(0, 1), ...entries.map((entry) => entry.enrollment)]));
  return sim;
}

function registered(lead: LeadProc): number {
  const ids = new Set<string>();
  for (const line of lead.lines) if (line.event === 'agent.registered' && typeof line.agent_id === 'string' && line.agent_id.startsWith('f')) ids.add(line.agent_id);
  return ids.size;
}

function apiUrl(lead: LeadProc): string | undefined {
  // The lead.started event's reason names it ("... API on http://127.0.0.1:PORT").
  for (const line of lead.lines) {
    const match = /https?:\/\/[\d.]+:\d+/.exec(JSON.stringify(line));
    if (match !== null) return match[0];
  }
  return undefined;
}

export async function fleetRun(group: HaGroup, agents: number, heartbeatMs: number, ttlMs: number): Promise<FleetOutage> {
  const sim = await startSim(group, agents, heartbeatMs);
  const ha = { enabled: true, lease_key: 'fleet', ttl_ms: ttlMs, replicas: 3 };
  const sections = { heartbeat: { interval_ms: heartbeatMs } };
  const started: LeadProc[] = [];
  try {
    const active = await startHaLead(group, 'fleet-a', ha, {}, sections);
    started.push(active);
    await logged(active, INTAKE_OPEN_MESSAGE, START_MS);
    const standby = await startHaLead(group, 'fleet-b', ha, {}, sections);
    started.push(standby);
    await logged(standby, 'standing by for the lease', START_MS);
    await waitFor(`${agents} agents registered with the active lead`, REGISTER_MS, () => (registered(active) >= agents ? true : undefined)).catch((error: unknown) => {
      throw new Error(`${String(error)} (${registered(active)} registered)`);
    });
    const url = apiUrl(standby);
    const killedAt = Date.now();
    await killLead(active);
    let heartbeatsAt: number | undefined;
    let apiAt: number | undefined;
    const wait = 10 * ttlMs + 3 * heartbeatMs;
    while ((heartbeatsAt === undefined || apiAt === undefined) && Date.now() - killedAt < wait) {
      if (heartbeatsAt === undefined) {
        const answer = await group.agent.heartbeat().catch(() => undefined);
        if (answer?.reply.accepted === true) heartbeatsAt = Date.now();
      }
      if (apiAt === undefined && url !== undefined) {
        const live = await fetch(`${url}/health/ready`).catch(() => undefined);
        if (live?.status === 200) apiAt = Date.now();
      }
      await delay(RETRY_MS);
    }
    if (heartbeatsAt === undefined) throw new Error(`the standby answered no heartbeat within ${wait} ms`);
    const allAt = await waitFor('every agent back', wait, () => (registered(standby) >= agents ? Date.now() : undefined)).catch(() => null);
    return {
      agents,
      heartbeatMs,
      heartbeatsAfterMs: heartbeatsAt - killedAt,
      apiAfterMs: apiAt === undefined ? -1 : apiAt - killedAt,
      allAgentsAfterMs: allAt === null ? null : allAt - killedAt,
      agentsSeen: registered(standby),
    };
  } finally {
    await Promise.all(started.map(killLead));
    sim.kill('SIGTERM');
    await once(sim, 'exit');
  }
}
