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
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stderr } from 'node:process';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { publicKeyText } from '@mesh30k/shared';
import { loadKeyPair, saveKeyPair } from '@mesh30k/shared/node';
import { AGENT_BIN, bundleEnv, freePort, parsePromText, waitFor, type LeadApi } from '../harness/index.js';
import { createMeshOperator, operatorApi, operatorApiConfig, type MeshOperator } from '../harness/local-mesh.js';
import { OperationLoop, type OperationsFigures } from './failover-ops.js';
import { INTAKE_OPEN_MESSAGE } from '../../packages/cluster-lead/src/main.js';
import { HA_CLUSTER_ID, HA_LEAD_ID, killLead, logged, startHaLead, type HaGroup, type LeadProc } from '../../packages/cluster-lead/test/ha/support/ha-leads.js';

const START_MS = 180_000;
const RETRY_MS = 50;
/** A loaded 2-core machine signs and verifies 1,000 first heartbeats (and their sessions) slowly. */
const REGISTER_MS = 420_000;
const POLL_MS = 250;
const VERIFY_THREADS = 1;
/** "A running operation every few seconds" (issue 16). */
const OPERATION_EVERY_MS = 3_000;
/** How long the run waits after its last operation for ACKs still on their way. */
const ACK_SETTLE_MS = 15_000;
const OPERATIONS_BEFORE_KILL = 3;
/** The sim spec's heartbeat_jitter default, stated so the report can name it. */
const HEARTBEAT_JITTER = 0.1;

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

/** One operation as its lead's log has it: where T and the deadline fell, and the ACKs it counted in time and late. */
export interface LoggedOperation {
  readonly id: string;
  readonly lead: string;
  readonly selected: number | null;
  /** Agents enrolled but not in that lead's registry when it planned (their presence makes the hold selector an id list). */
  readonly unheard: number | null;
  readonly holdMessages: number | null;
  readonly leadMs: number | null;
  readonly deadlineMs: number | null;
  readonly sent: number | null;
  /** ACKs counted by the decision: ready, transit, refused and conflicts; and the agents sent it that had not answered then. */
  readonly answered: number | null;
  readonly stragglers: number | null;
  /** ACKs that reached the lead by the deadline and were counted while it waited for their verification. */
  readonly countedAfterDeadline: number | null;
  readonly status: string | null;
  /** ACKs that reached this lead after the decision (recorded in the history's late ACKs, not in the result). */
  readonly lateAcks: number;
  /** ACKs this lead could not store (answered STORE_FAILED: the agent sends them again). */
  readonly storeFailures: number;
}

/** The operations each lead logged, by operation id. */
function loggedOperations(leads: readonly LeadProc[]): LoggedOperation[] {
  const rows = new Map<string, { -readonly [K in keyof LoggedOperation]: LoggedOperation[K] }>();
  const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);
  for (const lead of leads) {
    for (const line of lead.lines) {
      const id = line.operation_id;
      if (typeof id !== 'string' || !id.startsWith('fo-')) continue;
      const key = `${lead.name} ${id}`;
      let row = rows.get(key);
      if (row === undefined) {
        row = { id, lead: lead.name, selected: null, unheard: null, holdMessages: null, leadMs: null, deadlineMs: null, sent: null, answered: null, stragglers: null, countedAfterDeadline: null, status: null, lateAcks: 0, storeFailures: 0 };
        rows.set(key, row);
      }
      if (line.event === 'operation.started') {
        row.selected = num(line.selected);
        row.unheard = num(line.unheard);
        row.holdMessages = num(line.hold_messages);
        row.leadMs = num(line.lead_ms);
        row.deadlineMs = num(line.deadline_ms);
      } else if (line.event === 'operation.completed') {
        row.sent = num(line.sent);
        row.answered = (num(line.ready) ?? 0) + (num(line.transit) ?? 0) + (num(line.refused) ?? 0) + (num(line.conflicts) ?? 0) + (num(line.unrunnable) ?? 0);
        row.stragglers = num(line.stragglers);
        row.countedAfterDeadline = num(line.counted_after_deadline);
        row.status = typeof line.status === 'string' ? line.status : null;
      } else if (line.event === 'ack.late') row.lateAcks += 1;
      else if (line.msg === 'could not store an ack') row.storeFailures += 1;
    }
  }
  return [...rows.values()];
}

/** MESH_BENCH_KEEP_LOGS=dir: every lead's log lines, and the sim's totals lines, kept there for a look after the run. */
async function keepLogs(leads: readonly LeadProc[], simLines: readonly string[]): Promise<void> {
  const dir = process.env.MESH_BENCH_KEEP_LOGS;
  if (dir === undefined || dir === '') return;
  await mkdir(dir, { recursive: true });
  for (const lead of leads) await writeFile(join(dir, `${lead.name}.jsonl`), lead.lines.map((line) => JSON.stringify(line)).join('\n'));
  await writeFile(join(dir, 'sim-totals.jsonl'), simLines.join('\n'));
}

export interface LeadsAtKill {
  /** The active lead's exit code or signal if it was gone already, else null. */
  readonly activeExited: string | null;
  /** ms before the kill the active lead logged "lease lost", and the standby "lease acquired"; null: not logged. */
  readonly activeLostLeaseMsBefore: number | null;
  readonly standbyAcquiredMsBefore: number | null;
  /** The active lead's last warnings and errors (level >= 40). */
  readonly activeWarnings: ReadonlyArray<Record<string, unknown>>;
}

function leadsAtKill(active: LeadProc, standby: LeadProc, killedAt: number): LeadsAtKill {
  const at = (lead: LeadProc, msg: string): number | null => {
    // "lease lost", or the fatal "lost the lease (expired); exiting 75 ..." of a lead that exits on it.
    const line = lead.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith(msg));
    const time = typeof line?.time === 'string' ? Date.parse(line.time) : line?.time;
    return typeof time === 'number' && Number.isFinite(time) ? killedAt - time : null;
  };
  const exited = active.child.exitCode ?? active.child.signalCode;
  return {
    activeExited: exited === null ? null : String(exited),
    activeLostLeaseMsBefore: at(active, 'lease lost') ?? at(active, 'lost the lease'),
    standbyAcquiredMsBefore: at(standby, 'lease acquired'),
    activeWarnings: active.lines.filter((line) => typeof line.level === 'number' && line.level >= 40).slice(-10),
  };
}

/** The sim's enrollments (signed with the group's root), then written beside the test agent's for the leads. */
async function startSim(group: HaGroup, agents: number, heartbeatMs: number, ackRefusals: Map<string, number>, totals: string[]): Promise<ChildProcess> {
  const rootFile = join(group.dir, 'root.key');
  await saveKeyPair(rootFile, group.root.keys);
  const lead = await loadKeyPair(join(group.dir, 'lead.key'));
  const spec = { lead_id: HA_LEAD_ID, cluster_id: HA_CLUSTER_ID, count: agents, id_prefix: 'f', seed: 1, heartbeat_interval_ms: heartbeatMs, heartbeat_jitter: HEARTBEAT_JITTER };
  const specPath = join(group.dir, 'fleet.spec.json');
  const out = join(group.dir, 'fleet.enrollments.json');
  await writeFile(specPath, JSON.stringify(spec));
  const args = [AGENT_BIN, 'sim', '--spec', specPath, '--lead-key', publicKeyText(lead.publicKey), '--root-key', rootFile, '--enrollments-out', out, '--log-level', 'error', '--report', '1'];
  for (const url of group.servers) args.push('--nats', url);
  const sim = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...bundleEnv() } });
  // Its totals, one JSON line a second: the last one before the kill and at the end go in the report.
  createInterface({ input: sim.stdout }).on('line', (line) => {
    if (line.startsWith('{"sim"')) totals.push(line);
  });
  // ACKs a lead refused are counted (by operation and code: an ACK the agent sent and no lead kept); other lines pass through.
  createInterface({ input: sim.stderr }).on('line', (line) => {
    const entry = parseLine(line);
    if (entry?.event === 'ack.refused_by_lead') {
      const key = `${String(entry.operation)} ${String(entry.code)}`;
      ackRefusals.set(key, (ackRefusals.get(key) ?? 0) + 1);
    } else stderr.write(`${line}\n`);
  });
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

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Throws, with its last warnings and errors, when a lead is gone before the kill. */
function alive(lead: LeadProc): void {
  if (lead.child.exitCode === null && lead.child.signalCode === null) return;
  const last = lead.lines.filter((line) => typeof line.level === 'number' && line.level >= 40).slice(-8);
  throw new Error(`${lead.name} exited (${lead.child.exitCode ?? lead.child.signalCode}) before the kill; last warnings: ${JSON.stringify(last)}; last line: ${JSON.stringify(lead.lines.at(-1))}`);
}

function registered(lead: LeadProc): number {
  const ids = new Set<string>();
  for (const line of lead.lines) if (line.event === 'agent.registered' && typeof line.agent_id === 'string' && line.agent_id.startsWith('f')) ids.add(line.agent_id);
  return ids.size;
}

interface AgentRow {
  agent_id: string;
  state: string;
  last_heartbeat_at: number | null;
}

/** Every virtual agent as the lead's API lists it (pages of 1,000). */
async function fleetAgents(api: LeadApi): Promise<AgentRow[]> {
  const rows: AgentRow[] = [];
  let token: string | undefined;
  do {
    const res = await api.get<{ agents: AgentRow[]; next_page_token?: string }>(`/v1/agents?page_size=1000${token === undefined ? '' : `&page_token=${encodeURIComponent(token)}`}`);
    if (res.status !== 200) return rows;
    rows.push(...res.body.agents.filter((row) => row.agent_id.startsWith('f')));
    token = res.body.next_page_token;
  } while (token !== undefined);
  return rows;
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

async function standbyCounters(api: LeadApi): Promise<{ refusals: Record<string, number>; sessionsOpened: number }> {
  const res = await api.request<string>('GET', '/metrics').catch(() => undefined);
  const refusals: Record<string, number> = {};
  let sessionsOpened = 0;
  if (res?.status !== 200 || typeof res.body !== 'string') return { refusals, sessionsOpened };
  for (const sample of parsePromText(res.body).values()) {
    const refused = /^mesh_lead_heartbeats_refused_total\{reason="([^"]+)"\}$/.exec(sample.key);
    if (refused !== null && sample.value > 0) refusals[refused[1]!] = sample.value;
    if (sample.key === 'mesh_lead_sessions_opened_total') sessionsOpened = sample.value;
  }
  return { refusals, sessionsOpened };
}

async function leadApi(operator: MeshOperator): Promise<LeadApi> {
  return operatorApi(`http://127.0.0.1:${await freePort()}`, operator);
}

export async function fleetRun(group: HaGroup, agents: number, heartbeatMs: number, ttlMs: number, operationEveryMs = OPERATION_EVERY_MS): Promise<FleetOutage> {
  const ackRefusals = new Map<string, number>();
  const simLines: string[] = [];
  const sim = await startSim(group, agents, heartbeatMs, ackRefusals, simLines);
  const simTotals = (): Record<string, unknown> | null => {
    const last = simLines.at(-1);
    return last === undefined ? null : ((parseLine(last)?.sim as Record<string, unknown> | undefined) ?? null);
  };
  let simAtKill: Record<string, unknown> | null = null;
  const operator = await createMeshOperator(group.dir);
  const ha = { enabled: true, lease_key: 'fleet', ttl_ms: ttlMs, replicas: 3 };
  const apiA = await leadApi(operator);
  const apiB = await leadApi(operator);
  const sections = (api: LeadApi): Record<string, Record<string, unknown>> => ({
    http: { host: '127.0.0.1', port: Number(new URL(api.baseUrl).port), allow_plain_http: true },
    api: operatorApiConfig(operator),
    heartbeat: { interval_ms: heartbeatMs },
    // Verifying off the event loop: with it on the loop (the harness's 0), 1,000 agents' first
    // beats and handshakes held up the lease renewals and the active lead lost its 2 s lease.
    ingest: { verify_threads: VERIFY_THREADS },
    store: { backend: 'jetstream', jetstream: { replicas: 3, prefix: 'fleet' } },
    // Loopback latencies swing with the machine's load; the bench is about failover, not breakers.
    breakers: { metrics_only: true },
  });
  const started: LeadProc[] = [];
  const ops = new OperationLoop(() => [apiA, apiB], operationEveryMs);
  let opsRunning = false;
  try {
    const active = await startHaLead(group, 'fleet-a', ha, {}, sections(apiA));
    started.push(active);
    await logged(active, INTAKE_OPEN_MESSAGE, START_MS);
    const standby = await startHaLead(group, 'fleet-b', ha, {}, sections(apiB));
    started.push(standby);
    await logged(standby, 'standing by for the lease', START_MS);
    await waitFor(`${agents} agents registered with the active lead`, REGISTER_MS, () => {
      alive(active);
      alive(standby);
      return registered(active) >= agents ? true : undefined;
    }).catch((error: unknown) => {
      throw new Error(`${String(error)} (${registered(active)} registered)`);
    });
    // Registered is not yet routable: operations target the agents active on the lead.
    await waitFor(`${agents} agents active on the active lead`, REGISTER_MS, async () => ((await fleetAgents(apiA).catch(() => [])).filter((row) => row.state === 'active').length >= agents ? true : undefined));
    // The standby must follow the operations streams before one is started (in a 1,000-agent run it took longer than START_MS to say so).
    await logged(standby, 'following the replicated operations', REGISTER_MS).catch((error: unknown) => {
      const said = [...new Set(standby.lines.map((line) => String(line.msg)))].slice(-15);
      throw new Error(`${String(error)}; the standby logged: ${JSON.stringify(said)}`);
    });
    ops.start();
    opsRunning = true;
    // A few operations on the active lead first, the last one still gathering at the kill.
    await delay(OPERATIONS_BEFORE_KILL * operationEveryMs + operationEveryMs / 2);
    const replicationAtKill = { active: await replicationCounters(apiA), standby: await replicationCounters(apiB) };
    ops.killed();
    const killedAt = Date.now();
    const beforeKill = leadsAtKill(active, standby, killedAt);
    simAtKill = simTotals();
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
    await ops.stop();
    opsRunning = false;
    const operations = await ops.figures(apiB);
    // The last operation's stragglers are still on their way when it is decided: wait (bounded)
    // until every expected ACK is in a result or logged late, so one not yet arrived is not
    // counted lost. What is still missing after the wait is.
    const settleFrom = Date.now();
    const lateAcks = (): number => loggedOperations(started).reduce((sum, op) => sum + op.lateAcks, 0);
    while (operations.acksRecorded + lateAcks() < operations.acksExpected && Date.now() - settleFrom < ACK_SETTLE_MS) await delay(POLL_MS);
    const ackSettleMs = Date.now() - settleFrom;
    const counters = await standbyCounters(apiB);
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
      ackRefusals: Object.fromEntries(ackRefusals),
      beforeKill,
      opsLogged: loggedOperations(started),
      standbyLoadedAgents: typeof loaded?.agents === 'number' ? loaded.agents : null,
      simAtKill,
      simAtEnd: simTotals(),
      replicationAtKill,
    };
  } finally {
    await keepLogs(started, simLines).catch((error: unknown) => stderr.write(`could not keep the logs: ${String(error)}\n`));
    if (opsRunning) await ops.stop();
    await Promise.all(started.map(killLead));
    sim.kill('SIGTERM');
    await once(sim, 'exit');
  }
}
