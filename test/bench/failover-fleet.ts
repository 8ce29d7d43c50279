/**
 * bench:failover with a fleet (--agents N): one `mesh-agent sim` process of N virtual agents
 * heartbeating two HA leads of one cluster (store.backend jetstream, replicas 3), the test agent
 * probing, a scatter-gather started every few seconds (failover-ops.ts), and kill -9 of the
 * active lead. Measured from the kill: when the standby answers heartbeats, when its API is
 * ready (GET /health/ready: 503 until its intake opens), when it has accepted a heartbeat from
 * every virtual agent and seen them all active (its /v1/agents: with the jetstream store the
 * standby already knows each agent, so "registered" events do not say it is back); then what
 * became of each operation started, as the standby has it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { parsePromText, type LeadApi } from '../harness/index.js';
import type { OperationsFigures } from './failover-ops.js';
import { HEARTBEAT_JITTER, OPERATION_EVERY_MS, POLL_MS, fleetAgents, heartbeatCounters, leadsAtKill, loggedOperations, settleAcks, startFleet, type AgentRow, type LeadsAtKill, type LoggedOperation } from './failover-fleet-setup.js';
import { INTAKE_OPEN_MESSAGE } from '../../packages/cluster-lead/src/main.js';
import { killLead, type HaGroup, type LeadProc } from '../../packages/cluster-lead/test/ha/support/ha-leads.js';

const RETRY_MS = 50;
const OPERATIONS_BEFORE_KILL = 3;

export interface FleetOutage {
  readonly agents: number;
  readonly heartbeatMs: number;
  /** The sims' heartbeat jitter (a fraction of the interval each way) and the session re-handshake delay after SESSION_UNKNOWN ([0, interval)). */
  readonly heartbeatJitter: number;
  readonly rehandshakeJitterMs: number;
  /** Kill to the first heartbeat the standby accepted (the test agent's). */
  readonly heartbeatsAfterMs: number;
  /** Kill to the standby's API answering GET /health/ready with 200. */
  readonly apiAfterMs: number;
  /** Kill to the standby having accepted a heartbeat from every virtual agent (its /v1/agents last_heartbeat_at); null if not within the wait. */
  readonly allAgentsAfterMs: number | null;
  /** Kill to every virtual agent being active on the standby after such a heartbeat; null if not within the wait. */
  readonly allActiveAfterMs: number | null;
  /** When each agent's first heartbeat after the kill was accepted, from the kill, ms: quantiles. */
  readonly agentBackMs: { p10: number; p50: number; p90: number; max: number } | null;
  /** How long the run waited after its last operation for its stragglers' ACKs (ACK_SETTLE_MS at most). */
  readonly ackSettleMs: number;
  readonly agentsSeen: number;
  /** The standby's refusals of heartbeats by reason, and the sessions it opened, after the run. */
  readonly standbyRefusals: Readonly<Record<string, number>>;
  readonly standbySessionsOpened: number;
  readonly operations: OperationsFigures;
  /** ACKs the sims were refused by a lead, by "operation code". */
  readonly ackRefusals: Readonly<Record<string, number>>;
  /** What the leads said about the lease before the kill: the standby must not have taken it yet. */
  readonly beforeKill: LeadsAtKill;
  /** Each operation as the lead that ran it logged it (started, decided, late ACKs), from the leads' own logs. */
  readonly opsLogged: readonly LoggedOperation[];
  /** Agents the standby loaded from the followed state at takeover (its log), null if not logged. */
  readonly standbyLoadedAgents: number | null;
  /** The sim's own totals (COORDINATEs taken, ignored, refused; ACKs confirmed, outboxed, replayed) at the kill and at the end. */
  readonly simAtKill: Record<string, unknown> | null;
  readonly simAtEnd: Record<string, unknown> | null;
  /** Both leads' replication counters just before the kill (mesh_lead_replication_*), and the active lead's registry by state. */
  readonly replicationAtKill: { readonly active: Record<string, number>; readonly standby: Record<string, number> };
  /** The kill-to-serving time in parts, from the standby's log lines (ms; null: not logged). */
  readonly takeover: TakeoverParts;
}

/**
 * The standby's path from the kill to serving, each part in ms: until it saw the lease free or
 * stale (detect), its compare-and-set write (take), following the shared state to its end
 * (follow), loading it from SQLite (load), starting to mirror (mirror), subscribing its intake
 * (intake), then the first accepted heartbeat and /health/ready 200 after the intake opened.
 * Lead log times are ISO with ms; the bench's clock is the same machine's.
 */
export interface TakeoverParts {
  readonly detect: number | null;
  readonly take: number | null;
  readonly follow: number | null;
  readonly load: number | null;
  readonly mirror: number | null;
  readonly intake: number | null;
  readonly firstReply: number | null;
  readonly api: number | null;
}

export const TAKEOVER_PARTS: ReadonlyArray<keyof TakeoverParts> = ['detect', 'take', 'follow', 'load', 'mirror', 'intake', 'firstReply', 'api'];

function takeoverParts(standby: LeadProc, killedAt: number, heartbeatsAt: number, apiAt: number | undefined): TakeoverParts {
  const at = (msg: string): number | null => {
    const line = standby.lines.find((l) => l.msg === msg && typeof l.time === 'string' && Date.parse(l.time) >= killedAt);
    return line === undefined ? null : Date.parse(line.time as string);
  };
  const acquiredLine = standby.lines.find((l) => l.msg === 'lease acquired');
  const acquired = at('lease acquired');
  const takeMs = typeof acquiredLine?.take_ms === 'number' ? acquiredLine.take_ms : null;
  const followed = at('shared state followed to the end');
  const loaded = at('loaded the followed shared state');
  const mirroring = at('mirroring the shared state');
  const intakeOpen = at(INTAKE_OPEN_MESSAGE);
  const diff = (to: number | null, from: number | null): number | null => (to === null || from === null ? null : to - from);
  const sent = acquired === null || takeMs === null ? null : acquired - takeMs;
  return {
    detect: diff(sent, killedAt),
    take: takeMs,
    follow: diff(followed, acquired),
    load: diff(loaded, followed),
    mirror: diff(mirroring, loaded),
    intake: diff(intakeOpen, mirroring),
    firstReply: diff(heartbeatsAt, intakeOpen),
    api: diff(apiAt ?? null, intakeOpen),
  };
}

/** Tries `probe` every RETRY_MS from `since` until it succeeds (its time) or `waitMs` has passed (undefined). */
async function firstSuccess(since: number, waitMs: number, probe: () => Promise<boolean>): Promise<number | undefined> {
  while (Date.now() - since < waitMs) {
    if (await probe()) return Date.now();
    await delay(RETRY_MS);
  }
  return undefined;
}

/** The mesh_lead_replication_* samples of a lead's /metrics (empty when it does not answer). */
async function replicationCounters(api: LeadApi): Promise<Record<string, number>> {
  const res = await api.request<string>('GET', '/metrics').catch(() => undefined);
  const out: Record<string, number> = {};
  if (res?.status !== 200 || typeof res.body !== 'string') return out;
  for (const sample of parsePromText(res.body).values()) {
    if (sample.key.startsWith('mesh_lead_replication_') && sample.value !== 0) out[sample.key.replace('mesh_lead_replication_', '')] = sample.value;
  }
  return out;
}

/** Polls the standby's agent list after the kill: when each agent's first heartbeat was accepted there, and when all are active. */
async function agentsBack(api: LeadApi, agents: number, killedAt: number, waitMs: number): Promise<{ backAt: Map<string, number>; allActiveAt: number | null }> {
  const backAt = new Map<string, number>();
  let allActiveAt: number | null = null;
  while (Date.now() - killedAt < waitMs) {
    const rows = await fleetAgents(api).catch(() => [] as AgentRow[]);
    let active = 0;
    for (const row of rows) {
      const at = row.last_heartbeat_at;
      if (at === null || at < killedAt) continue;
      // Polled more often than one interval: the first value past the kill is the first beat it accepted.
      if (!backAt.has(row.agent_id)) backAt.set(row.agent_id, at);
      if (row.state === 'active') active += 1;
    }
    if (active >= agents) allActiveAt = Date.now();
    if (allActiveAt !== null && backAt.size >= agents) break;
    await delay(POLL_MS);
  }
  return { backAt, allActiveAt };
}

export async function fleetRun(group: HaGroup, agents: number, heartbeatMs: number, ttlMs: number, operationEveryMs = OPERATION_EVERY_MS): Promise<FleetOutage> {
  const fleet = await startFleet(group, { agents, heartbeatMs, ttlMs, operationEveryMs });
  const { active, standby, apiA, apiB, ops, leads } = fleet;
  try {
    // A few operations on the active lead first, the last one still gathering at the kill.
    await delay(OPERATIONS_BEFORE_KILL * operationEveryMs + operationEveryMs / 2);
    const replicationAtKill = { active: await replicationCounters(apiA), standby: await replicationCounters(apiB) };
    ops.killed();
    const killedAt = Date.now();
    const beforeKill = leadsAtKill(active, standby, killedAt);
    const simAtKill = fleet.simTotals();
    await killLead(active);
    const wait = 10 * ttlMs + 3 * heartbeatMs;
    const back = agentsBack(apiB, agents, killedAt, wait + 3 * heartbeatMs);
    // Two probes side by side, so that neither waits on the other's attempt.
    const [heartbeatsAt, apiAt] = await Promise.all([
      firstSuccess(killedAt, wait, async () => (await group.agent.heartbeat().catch(() => undefined))?.reply.accepted === true),
      firstSuccess(killedAt, wait, async () => (await fetch(`${apiB.baseUrl}/health/ready`).catch(() => undefined))?.status === 200),
    ]);
    if (heartbeatsAt === undefined) {
      const said = standby.lines.filter((line) => typeof line.time === 'string' && Date.parse(line.time) >= killedAt).map((line) => ({ time: line.time, level: line.level, msg: line.msg }));
      throw new Error(`the standby answered no heartbeat within ${wait} ms; its log since the kill: ${JSON.stringify(said.slice(0, 40))}`);
    }
    const { backAt, allActiveAt } = await back;
    await fleet.stopOperations();
    const operations = await ops.figures(apiB);
    const ackSettleMs = await settleAcks(operations, leads);
    const counters = await heartbeatCounters(apiB);
    const loaded = standby.lines.find((line) => line.msg === 'loaded the followed shared state');
    const after = [...backAt.values()].map((at) => at - killedAt).sort((x, y) => x - y);
    const q = (p: number): number => after[Math.min(after.length - 1, Math.floor(p * after.length))]!;
    return {
      agents,
      heartbeatMs,
      heartbeatJitter: HEARTBEAT_JITTER,
      rehandshakeJitterMs: heartbeatMs,
      heartbeatsAfterMs: heartbeatsAt - killedAt,
      apiAfterMs: apiAt === undefined ? -1 : apiAt - killedAt,
      allAgentsAfterMs: backAt.size >= agents ? after.at(-1)! : null,
      allActiveAfterMs: allActiveAt === null ? null : allActiveAt - killedAt,
      agentBackMs: after.length === 0 ? null : { p10: Math.round(q(0.1)), p50: Math.round(q(0.5)), p90: Math.round(q(0.9)), max: Math.round(after.at(-1)!) },
      ackSettleMs,
      agentsSeen: backAt.size,
      takeover: takeoverParts(standby, killedAt, heartbeatsAt, apiAt),
      standbyRefusals: counters.refusals,
      standbySessionsOpened: counters.sessionsOpened,
      operations,
      ackRefusals: Object.fromEntries(fleet.ackRefusals),
      beforeKill,
      opsLogged: loggedOperations(leads),
      standbyLoadedAgents: typeof loaded?.agents === 'number' ? loaded.agents : null,
      simAtKill,
      simAtEnd: fleet.simTotals(),
      replicationAtKill,
    };
  } finally {
    await fleet.dispose();
  }
}
