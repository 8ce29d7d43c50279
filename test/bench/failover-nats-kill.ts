/**
 * bench:failover --agents N --kill nats-node: kill -9 of one NATS node of three under the fleet
 * of failover-fleet-setup.ts (two HA leads, store.backend jetstream replicas 3, N sim agents, an
 * operation every few seconds). Two cases in one run, one after the other on the same fleet:
 * a node that does not lead the lease bucket's stream, then the node that does (that stream
 * takes no writes, so no lease renewal, until its survivors elect a leader). Each case watches a
 * window after the kill, restarts the node (harness restart()) and waits until every replicated
 * stream has all its replicas current again.
 *
 * The target, per case: no lead failover, no agent degraded beyond a reconnect, zero loss.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { connect, type JetStreamManager } from 'nats';
import type { LeadApi, NatsCluster } from '../harness/index.js';
import { POLL_MS, fleetAgents, heartbeatCounters, loggedOperations, settleAcks, startFleet, type Fleet, type FleetOptions } from './failover-fleet-setup.js';
import { operationStartedAt, type OperationRow } from './failover-ops.js';
import type { HaGroup, LeadProc } from '../../packages/cluster-lead/test/ha/support/ha-leads.js';

/** Operations on the holder before the first kill. */
const OPERATIONS_BEFORE_KILL = 3;
/** Watched after each kill: longer than a stream leader election here (4-9 s seen on nats-server 2.9) plus a lease TTL and a takeover. */
const WINDOW_MS = 20_000;
const WHOLE_WAIT_MS = 60_000;
const JS_TIMEOUT_MS = 2_000;
/** What a lead logs about the lease when it changes hands or cannot be written, and about riding through (src/ha/README.md). */
const LEASE_LINES = [
  'lease lost',
  'lost the lease',
  'lease acquired',
  'could not renew the lease',
  'could not take the lease',
  'could not read the lease',
  'the lease store takes no writes: riding through',
  'lease renewed again: the ride-through is over',
  'not riding through',
  'the ride-through allowance is used up',
] as const;
/** Registry events that say an agent is worse off than active. */
const DEGRADED_EVENTS = new Set(['agent.degraded', 'agent.offline', 'agent.crashed', 'agent.quarantined']);

export type NatsKillTarget = 'not the lease stream leader' | 'the lease stream leader';

export interface NatsKillCase {
  readonly target: NatsKillTarget;
  readonly node: string;
  readonly ledLeaseStream: boolean;
  /** Every stream the node led at the kill (operations, ACKs, registry buckets ...). */
  readonly streamsLed: readonly string[];
  /** Whether it was the JetStream metadata leader (from the nodes' election log lines); null when no node said. */
  readonly ledMetaGroup: boolean | null;
  readonly leaseStreamLeaderAfter: string | null;
  /** Kill to the survivors' "new stream leader" line for the lease stream, ms (null: no election logged in the window). */
  readonly leaseStreamElectionMs: number | null;
  readonly metaElectionMs: number | null;
  /** The lead holding the lease at the kill, and what either lead logged about the lease in the window. */
  readonly holder: string;
  readonly leaseLines: Readonly<Record<string, number>>;
  readonly holderExited: string | null;
  readonly leadFailover: boolean;
  /** Each lead's NATS connection events in the window (nats.disconnected / nats.reconnected log lines). */
  readonly leadConnections: Readonly<Record<string, { disconnects: number; reconnects: number }>>;
  /** The sim's shared connection: disconnects and reconnects in the window, and the servers named. */
  readonly simConnection: { disconnects: number; reconnects: number; from: unknown; to: unknown };
  /** The sim's heartbeats in the window: answered, missed (by reason), and the worst second. */
  readonly heartbeats: { answered: number; missed: number; missedByReason: Readonly<Record<string, number>>; lowestAnsweredPerS: number | null; secondsWithMisses: number };
  /** Registry events of agents worse off than active, logged by either lead in the window, and in as long a window before the kill. */
  readonly degradedEvents: Readonly<Record<string, number>>;
  readonly degradedBeforeKill: Readonly<Record<string, number>>;
  /** The agents by state on the serving lead at the end of the window, those it does not list, and those with no beat accepted since the kill. */
  readonly statesAtEnd: Readonly<Record<string, number>>;
  readonly agentsMissingAtEnd: number;
  readonly noBeatSinceKill: number;
  /** The leads' failed writes of their state to KV (kv-mirror, retried) in the window, and the last one, ms after the kill. */
  readonly replicationWriteFailures: { readonly count: number; readonly lastAfterMs: number | null };
  /** Heartbeats the serving lead refused in the window, by reason (its /metrics before and after). */
  readonly holderRefusalsInWindow: Readonly<Record<string, number>>;
  readonly operations: CaseOperations;
  /** restart() to the node answering JetStream, and to every replicated stream current on all replicas again, ms. */
  readonly restartMs: number;
  readonly wholeAfterRestartMs: number | null;
  readonly streamsNotWhole: readonly string[];
  readonly met: { readonly noLeadFailover: boolean; readonly noAgentDegraded: boolean; readonly zeroLoss: boolean };
}

export interface CaseOperations {
  readonly started: number;
  readonly notTaken: number;
  readonly outcomes: Readonly<Record<string, number>>;
  readonly withoutOutcome: number;
  readonly acksExpected: number;
  readonly acksInResults: number;
  readonly lateAcks: number;
  readonly acksRefused: number;
  /** How long the count waited for the last operations' stragglers (bounded). */
  readonly ackSettleMs: number;
  /** ACKs the sims' outboxes gave up on (refused for good on replay). */
  readonly acksDeadLettered: number;
  /** The other lead's answers to GET /v1/operations/:id for the case's operations, by HTTP status; null when that lead is gone. */
  readonly otherLeadAnswers: Readonly<Record<string, number>> | null;
  readonly rows: readonly OperationRow[];
}

export interface NatsKillRun {
  readonly agents: number;
  readonly heartbeatMs: number;
  readonly leaseBucket: string;
  readonly windowMs: number;
  readonly cases: readonly NatsKillCase[];
  readonly simAtEnd: Record<string, unknown> | null;
}

type Totals = { answered: number; missed: number; missedByReason: Record<string, number>; disconnects: number; reconnects: number };
type Watched = Omit<NatsKillCase, 'operations' | 'met' | 'restartMs' | 'wholeAfterRestartMs' | 'streamsNotWhole'> & { readonly index: number };

const TARGETS: readonly NatsKillTarget[] = ['not the lease stream leader', 'the lease stream leader'];

/**
 * Per case: operations start (again), a few run on the holder, the node is killed and the window
 * watched; then the operations pause, the node is restarted, and the case's operations are
 * counted on the lead serving then, before the next case starts.
 */
export async function natsKillRun(group: HaGroup, cluster: NatsCluster, options: FleetOptions): Promise<NatsKillRun> {
  const fleet = await startFleet(group, options);
  const nc = await connect({ servers: [...cluster.urls], reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  try {
    const jsm = await nc.jetstreamManager({ timeout: JS_TIMEOUT_MS });
    const cases: NatsKillCase[] = [];
    for (const target of TARGETS) {
      if (cases.length > 0) fleet.ops.start();
      const from = Date.now();
      const notTakenFrom = fleet.ops.counts().notTaken;
      // Operations on the holder first, the last one still gathering at the kill.
      await delay(OPERATIONS_BEFORE_KILL * options.operationEveryMs + options.operationEveryMs / 2);
      const { index, ...watched } = await killAndWatch(fleet, cluster, jsm, target);
      await fleet.ops.stop();
      const notTaken = fleet.ops.counts().notTaken - notTakenFrom;
      const node = await restartNode(cluster, jsm, index);
      const operations = await caseOperations(fleet, (id) => operationStartedAt(id) >= from, notTaken);
      const met = judge(watched, operations, fleet.agents);
      cases.push({ ...watched, ...node, operations, met });
    }
    await fleet.stopOperations();
    return { agents: fleet.agents, heartbeatMs: fleet.heartbeatMs, leaseBucket: fleet.leaseBucket, windowMs: WINDOW_MS, cases, simAtEnd: fleet.simTotals() };
  } finally {
    await nc.close().catch(() => undefined);
    await fleet.dispose();
  }
}

/** The target for one case: no lead failover, no agent degraded beyond a reconnect, zero loss. */
function judge(watched: Omit<Watched, 'index'>, operations: CaseOperations, agents: number): NatsKillCase['met'] {
  const { heartbeats, leadConnections, holderRefusalsInWindow, degradedEvents, degradedBeforeKill, statesAtEnd } = watched;
  // A reconnect costs the beats in flight on the dropped connection, and while a lead's own
  // connection is re-made its subscriptions are gone ("no responders"). No responders with no
  // lead reconnecting (no lead serving), a new session (SESSION_UNKNOWN: another lead) or more
  // misses than agents are more than a reconnect.
  const noResponders = heartbeats.missedByReason.NO_RESPONDERS ?? 0;
  const leadReconnected = Object.values(leadConnections).some((lead) => lead.reconnects > 0);
  const withinReconnect = (noResponders === 0 || leadReconnected) && (holderRefusalsInWindow.SESSION_UNKNOWN ?? 0) === 0 && heartbeats.missed <= agents;
  // No agent offline (or worse) or unheard; agents flagged degraded no more often than in as long a window before the kill.
  const worse = Object.keys(degradedEvents).some((event) => event !== 'agent.degraded');
  const states = !worse && (degradedEvents['agent.degraded'] ?? 0) <= (degradedBeforeKill['agent.degraded'] ?? 0) && watched.agentsMissingAtEnd === 0 && (statesAtEnd.offline ?? 0) === 0 && watched.noBeatSinceKill === 0;
  return {
    noLeadFailover: !watched.leadFailover,
    noAgentDegraded: withinReconnect && states,
    zeroLoss: operations.withoutOutcome === 0 && operations.acksInResults + operations.lateAcks >= operations.acksExpected && operations.acksRefused === 0 && operations.acksDeadLettered === 0 && operations.notTaken === 0,
  };
}

/** Kills the target node and reads what the window after it shows (the node stays down). */
async function killAndWatch(fleet: Fleet, cluster: NatsCluster, jsm: JetStreamManager, target: NatsKillTarget): Promise<Watched> {
  const stream = `KV_${fleet.leaseBucket}`;
  const leader = (await jsm.streams.info(stream)).cluster?.leader;
  if (leader === undefined) throw new Error(`${stream} has no leader before the kill`);
  const nodeName = (i: number): string => `${cluster.name}-n${i}`;
  const leaderIndex = cluster.nodes.findIndex((_, i) => nodeName(i) === leader);
  const index = target === 'the lease stream leader' ? leaderIndex : cluster.nodes.findIndex((_, i) => i !== leaderIndex);
  const victim = cluster.nodes[index]!;
  const meta = metaLeader(cluster);
  const streamsLed = (await jsm.streams.list().next()).filter((info) => info.cluster?.leader === nodeName(index)).map((info) => info.config.name);
  const holderApi = (await servingApi(fleet)) ?? fleet.apiA;
  const holder = holderApi === fleet.apiB ? fleet.standby : fleet.active;
  const refusalsBefore = (await heartbeatCounters(holderApi)).refusals;
  const simBefore = simTotals(fleet);
  const killedAt = Date.now();
  await victim.kill();
  await delay(WINDOW_MS);
  const end = killedAt + WINDOW_MS;
  const servingNow = (await servingApi(fleet)) ?? holderApi;
  const rows = await fleetAgents(servingNow).catch(() => []);
  // The holder's refusals in the window (a lead that took over counts from its own zero).
  const refusals = difference((await heartbeatCounters(servingNow)).refusals, servingNow === holderApi ? refusalsBefore : {});
  const simAfter = simTotals(fleet);
  const reports = fleet.simReportsSince(killedAt).filter((line) => (line.at as number) <= end);
  const perSecond = reports.map((line, i) => {
    const prev = i === 0 ? simBefore : totalsOf(reports[i - 1]!);
    const now = totalsOf(line);
    return { answered: now.answered - prev.answered, missed: now.missed - prev.missed };
  });
  const leaseAfter = await jsm.streams.info(stream).then((info) => info.cluster?.leader ?? null).catch(() => null);
  const leaseLines = countLines(fleet.leads, killedAt, end, (line) => LEASE_LINES.find((text) => typeof line.msg === 'string' && line.msg.startsWith(text)));
  const exited = holder.child.exitCode ?? holder.child.signalCode;
  const holderExited = exited === null ? null : String(exited);
  const leadConnections: Record<string, { disconnects: number; reconnects: number }> = {};
  for (const lead of fleet.leads) {
    const events = countLines([lead], killedAt, end, (line) => (line.event === 'nats.disconnected' || line.event === 'nats.reconnected' ? line.event : undefined));
    leadConnections[lead.name] = { disconnects: events['nats.disconnected'] ?? 0, reconnects: events['nats.reconnected'] ?? 0 };
  }
  const replicationFailures = fleet.leads.flatMap((lead) => lead.lines).filter((line) => line.msg === 'replication write failed; trying again').map((line) => (typeof line.time === 'string' ? Date.parse(line.time) : NaN)).filter((at) => at >= killedAt && at <= end);
  const degraded = (line: Record<string, unknown>): string | undefined => (typeof line.event === 'string' && DEGRADED_EVENTS.has(line.event) && typeof line.agent_id === 'string' && line.agent_id.startsWith('f') ? line.event : undefined);
  const statesAtEnd: Record<string, number> = {};
  for (const row of rows) statesAtEnd[row.state] = (statesAtEnd[row.state] ?? 0) + 1;
  const simConn = fleet.simConnection();
  return {
    index,
    target,
    node: nodeName(index),
    ledLeaseStream: index === leaderIndex,
    streamsLed,
    ledMetaGroup: meta === null ? null : meta === nodeName(index),
    leaseStreamLeaderAfter: leaseAfter,
    leaseStreamElectionMs: electionAfter(cluster, killedAt, (line) => line.includes(`new stream leader for '$G > ${stream}'`)),
    metaElectionMs: electionAfter(cluster, killedAt, (line) => /metadata leader/.test(line)),
    holder: holder.name,
    leaseLines,
    holderExited,
    leadFailover: holderExited !== null || (leaseLines['lease lost'] ?? 0) + (leaseLines['lost the lease'] ?? 0) + (leaseLines['lease acquired'] ?? 0) > 0,
    leadConnections,
    simConnection: { disconnects: simAfter.disconnects - simBefore.disconnects, reconnects: simAfter.reconnects - simBefore.reconnects, from: simConn?.last_disconnected_from ?? null, to: simConn?.last_reconnected_to ?? null },
    heartbeats: {
      answered: simAfter.answered - simBefore.answered,
      missed: simAfter.missed - simBefore.missed,
      missedByReason: difference(simAfter.missedByReason, simBefore.missedByReason),
      lowestAnsweredPerS: perSecond.length === 0 ? null : Math.min(...perSecond.map((second) => second.answered)),
      secondsWithMisses: perSecond.filter((second) => second.missed > 0).length,
    },
    degradedEvents: countLines(fleet.leads, killedAt, end, degraded),
    degradedBeforeKill: countLines(fleet.leads, killedAt - WINDOW_MS, killedAt, degraded),
    statesAtEnd,
    agentsMissingAtEnd: fleet.agents - rows.length,
    noBeatSinceKill: fleet.agents - rows.filter((row) => row.last_heartbeat_at !== null && row.last_heartbeat_at > killedAt).length,
    holderRefusalsInWindow: refusals,
    replicationWriteFailures: { count: replicationFailures.length, lastAfterMs: replicationFailures.length === 0 ? null : Math.max(...replicationFailures) - killedAt },
  };
}

/** restart() of the killed node, then until every replicated stream is whole again. */
async function restartNode(cluster: NatsCluster, jsm: JetStreamManager, index: number): Promise<{ restartMs: number; wholeAfterRestartMs: number | null; streamsNotWhole: readonly string[] }> {
  const from = Date.now();
  await cluster.nodes[index]!.restart();
  await cluster.waitForJetStream(index);
  const restartMs = Date.now() - from;
  const whole = await waitWhole(jsm, WHOLE_WAIT_MS);
  return { restartMs, wholeAfterRestartMs: whole.afterMs, streamsNotWhole: whole.notWhole };
}

/** The lead whose API is ready (it holds the lease and serves), A first; undefined when neither answers 200. */
async function servingApi(fleet: Fleet): Promise<LeadApi | undefined> {
  for (const api of [fleet.apiA, fleet.apiB]) {
    const res = await fetch(`${api.baseUrl}/health/ready`).catch(() => undefined);
    if (res?.status === 200) return api;
  }
  return undefined;
}

/** The case's operations as the lead serving now has them (after waiting for the stragglers' ACKs), and whether the other lead knows each. */
async function caseOperations(fleet: Fleet, include: (id: string) => boolean, notTaken: number): Promise<CaseOperations> {
  const serving = (await servingApi(fleet)) ?? fleet.apiA;
  const figures = await fleet.ops.figures(serving, include);
  const ackSettleMs = await settleAcks(figures, fleet.leads, include);
  const rows = figures.rows;
  const ofCase = (map: ReadonlyMap<string, number>): number => [...map].filter(([key]) => include(key.split(' ')[0]!)).reduce((sum, [, count]) => sum + count, 0);
  const [other, otherLead] = serving === fleet.apiA ? [fleet.apiB, fleet.standby] : [fleet.apiA, fleet.active];
  let otherLeadAnswers: Record<string, number> | null = null;
  if (otherLead.child.exitCode === null && otherLead.child.signalCode === null) {
    otherLeadAnswers = {};
    for (const row of rows) {
      const status = String((await other.get(`/v1/operations/${row.id}`).catch(() => undefined))?.status ?? 'no answer');
      otherLeadAnswers[status] = (otherLeadAnswers[status] ?? 0) + 1;
    }
  }
  return {
    started: rows.length,
    notTaken,
    outcomes: figures.outcomes,
    withoutOutcome: figures.withoutOutcome,
    acksExpected: figures.acksExpected,
    acksInResults: figures.acksRecorded,
    lateAcks: loggedOperations(fleet.leads).filter((op) => include(op.id)).reduce((sum, op) => sum + op.lateAcks, 0),
    acksRefused: ofCase(fleet.ackRefusals),
    acksDeadLettered: ofCase(fleet.ackDeadLetters),
    ackSettleMs,
    otherLeadAnswers,
    rows,
  };
}

function simTotals(fleet: Fleet): Totals {
  return totalsOf({ sim: fleet.simTotals(), nats: fleet.simConnection() });
}

function totalsOf(line: Record<string, unknown>): Totals {
  const sim = (line.sim ?? {}) as { heartbeatsSent?: number; heartbeatsMissed?: number; missedByReason?: Record<string, number> };
  const nats = (line.nats ?? {}) as { disconnects?: number; reconnects?: number };
  return { answered: sim.heartbeatsSent ?? 0, missed: sim.heartbeatsMissed ?? 0, missedByReason: { ...sim.missedByReason }, disconnects: nats.disconnects ?? 0, reconnects: nats.reconnects ?? 0 };
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) if (value - (before[key] ?? 0) > 0) out[key] = value - (before[key] ?? 0);
  return out;
}

/** Lines of `leads` logged in [from, to], counted by what `key` names them (undefined: not counted). */
function countLines(leads: readonly LeadProc[], from: number, to: number, key: (line: Record<string, unknown>) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const lead of leads) {
    for (const line of lead.lines) {
      const at = typeof line.time === 'string' ? Date.parse(line.time) : NaN;
      if (!(at >= from && at <= to)) continue;
      const name = key(line);
      if (name !== undefined) out[name] = (out[name] ?? 0) + 1;
    }
  }
  return out;
}

/** nats-server's log time ("[pid] 2026/12/07 14:34:22.587315 [INF] ..."), local time, ms. */
function logTime(line: string): number {
  const match = /(\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d\.\d{3})/.exec(line);
  return match === null ? NaN : new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}`).getTime();
}

/** The metadata leader the nodes last named (a node's "Self is new ... leader" or "new metadata leader: NAME/CLUSTER"). */
function metaLeader(cluster: NatsCluster): string | null {
  let latest: { at: number; name: string } | null = null;
  for (const [i, node] of cluster.nodes.entries()) {
    for (const line of node.leaderLines()) {
      const named = /new metadata leader: ([^/\s]+)\//.exec(line)?.[1] ?? (line.includes('Self is new JetStream cluster metadata leader') ? `${cluster.name}-n${i}` : undefined);
      const at = logTime(line);
      if (named !== undefined && (latest === null || at >= latest.at)) latest = { at, name: named };
    }
  }
  return latest?.name ?? null;
}

/** From `since` to the first election line `matches` on any node, ms; null when none. */
function electionAfter(cluster: NatsCluster, since: number, matches: (line: string) => boolean): number | null {
  const times = cluster.nodes.flatMap((node) => node.leaderLines().filter(matches).map(logTime)).filter((at) => at >= since);
  return times.length === 0 ? null : Math.min(...times) - since;
}

/** Waits until every stream replicated on more than one node has a leader and all its replicas current; what is still not, after the wait. */
async function waitWhole(jsm: JetStreamManager, waitMs: number): Promise<{ afterMs: number | null; notWhole: string[] }> {
  const from = Date.now();
  let notWhole: string[] = ['(not asked yet)'];
  while (Date.now() - from < waitMs) {
    try {
      const streams = await jsm.streams.list().next();
      notWhole = streams
        .filter((info) => info.config.num_replicas > 1)
        .filter((info) => info.cluster?.leader === undefined || (info.cluster.replicas ?? []).length < info.config.num_replicas - 1 || (info.cluster.replicas ?? []).some((peer) => !peer.current || peer.offline === true))
        .map((info) => info.config.name);
      if (notWhole.length === 0) return { afterMs: Date.now() - from, notWhole };
    } catch (error) {
      notWhole = [`(stream list failed: ${error instanceof Error ? error.message : String(error)})`];
    }
    await delay(POLL_MS);
  }
  return { afterMs: null, notWhole };
}

