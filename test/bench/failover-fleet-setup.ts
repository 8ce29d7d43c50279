/**
 * bench:failover --agents: the fleet every kill runs under, set up once here. One `mesh-agent
 * sim` process of N virtual agents, two HA `mesh-lead run` processes of one cluster
 * (store.backend jetstream, replicas 3) with every agent registered and active on the active
 * lead, the standby following, and a scatter-gather started every few seconds (failover-ops.ts).
 * Also what the kills read back the same way: the leads' log lines about the lease and the
 * operations, the sim's totals, the agents as a lead's API lists them.
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
import { LeadConfigSchema } from '../../packages/cluster-lead/src/config/schema.js';
import { INTAKE_OPEN_MESSAGE } from '../../packages/cluster-lead/src/main.js';
import { HA_CLUSTER_ID, HA_LEAD_ID, killLead, logged, startHaLead, type HaGroup, type LeadProc } from '../../packages/cluster-lead/test/ha/support/ha-leads.js';

export const START_MS = 180_000;
/** A loaded 2-core machine signs and verifies 1,000 first heartbeats (and their sessions) slowly. */
const REGISTER_MS = 420_000;
export const POLL_MS = 250;
const VERIFY_THREADS = 1;
/** "A running operation every few seconds" (issue 16). */
export const OPERATION_EVERY_MS = 3_000;
/** How long a run waits after its last operation for ACKs still on their way. */
const ACK_SETTLE_MS = 15_000;
/** The sim spec's heartbeat_jitter default, stated so the report can name it. */
export const HEARTBEAT_JITTER = 0.1;

export interface FleetOptions {
  readonly agents: number;
  readonly heartbeatMs: number;
  readonly ttlMs: number;
  readonly operationEveryMs: number;
}

/** The fleet, running: leads, their APIs, the operations loop and the sim's totals. */
export interface Fleet {
  readonly agents: number;
  readonly heartbeatMs: number;
  /** The KV bucket the leads keep their lease in (their `ha.bucket`, the schema's default when unset). */
  readonly leaseBucket: string;
  readonly active: LeadProc;
  readonly standby: LeadProc;
  readonly apiA: LeadApi;
  readonly apiB: LeadApi;
  /** Every lead process started, for their logs. */
  readonly leads: readonly LeadProc[];
  readonly ops: OperationLoop;
  /** ACKs the sims were refused by a lead, by "operation code". */
  readonly ackRefusals: ReadonlyMap<string, number>;
  /** ACKs the sims' outboxes dead-lettered (refused for good on replay), by "operation code". */
  readonly ackDeadLetters: ReadonlyMap<string, number>;
  /** The sim's last totals (`sim` of its last report line), null before the first. */
  simTotals(): Record<string, unknown> | null;
  /** The sim's shared connection as its last report line has it (`nats`: disconnects, reconnects), null before the first. */
  simConnection(): Record<string, unknown> | null;
  /** The sim's report lines (one a second: `sim` totals, `nats`, `at`) made at or after `since`. */
  simReportsSince(since: number): ReadonlyArray<Record<string, unknown>>;
  stopOperations(): Promise<void>;
  /** Keeps the logs (MESH_BENCH_KEEP_LOGS), stops the operations, kills the leads and the sim. */
  dispose(): Promise<void>;
}

/**
 * Starts the sim and both leads, waits until every agent is active on the active lead and the
 * standby follows the operations streams, then starts the operations. Cleans up what it started
 * if any of that fails.
 */
export async function startFleet(group: HaGroup, options: FleetOptions): Promise<Fleet> {
  const { agents, heartbeatMs, ttlMs } = options;
  const ackRefusals = new Map<string, number>();
  const simLines: string[] = [];
  const ackDeadLetters = new Map<string, number>();
  const sim = await startSim(group, agents, heartbeatMs, ackRefusals, ackDeadLetters, simLines);
  const lastReport = (): Record<string, unknown> | undefined => {
    const last = simLines.at(-1);
    return last === undefined ? undefined : parseLine(last);
  };
  const ha = { enabled: true, lease_key: 'fleet', ttl_ms: ttlMs, replicas: 3 };
  const leads: LeadProc[] = [];
  const operator = await createMeshOperator(group.dir);
  const apiA = await leadApi(operator);
  const apiB = await leadApi(operator);
  const ops = new OperationLoop(() => [apiA, apiB], options.operationEveryMs);
  let opsRunning = false;
  const stopOperations = async (): Promise<void> => {
    if (!opsRunning) return;
    opsRunning = false;
    await ops.stop();
  };
  const dispose = async (): Promise<void> => {
    await keepLogs(leads, simLines).catch((error: unknown) => stderr.write(`could not keep the logs: ${String(error)}\n`));
    await stopOperations();
    await Promise.all(leads.map(killLead));
    sim.kill('SIGTERM');
    if (sim.exitCode === null && sim.signalCode === null) await once(sim, 'exit');
  };
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
  try {
    const active = await startHaLead(group, 'fleet-a', ha, {}, sections(apiA));
    leads.push(active);
    await logged(active, INTAKE_OPEN_MESSAGE, START_MS);
    const standby = await startHaLead(group, 'fleet-b', ha, {}, sections(apiB));
    leads.push(standby);
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
    return {
      agents,
      heartbeatMs,
      leaseBucket: LeadConfigSchema.shape.ha.parse(ha).bucket,
      active,
      standby,
      apiA,
      apiB,
      leads,
      ops,
      ackRefusals,
      ackDeadLetters,
      simTotals: () => (lastReport()?.sim as Record<string, unknown> | undefined) ?? null,
      simConnection: () => (lastReport()?.nats as Record<string, unknown> | undefined) ?? null,
      simReportsSince: (since) => simLines.map(parseLine).filter((line): line is Record<string, unknown> => typeof line?.at === 'number' && line.at >= since),
      stopOperations,
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * The last operation's stragglers are still on their way when it is decided: waits (bounded)
 * until every expected ACK is in a result or logged late, so one not yet arrived is not counted
 * lost. What is still missing after the wait is. Returns how long it waited, ms.
 */
export async function settleAcks(operations: OperationsFigures, leads: readonly LeadProc[], include: (id: string) => boolean = () => true): Promise<number> {
  const settleFrom = Date.now();
  const lateAcks = (): number => loggedOperations(leads).filter((op) => include(op.id)).reduce((sum, op) => sum + op.lateAcks, 0);
  while (operations.acksRecorded + lateAcks() < operations.acksExpected && Date.now() - settleFrom < ACK_SETTLE_MS) await delay(POLL_MS);
  return Date.now() - settleFrom;
}

/** A lead's heartbeat refusals by reason, and the sessions it opened (its /metrics; empty when it does not answer). */
export async function heartbeatCounters(api: LeadApi): Promise<{ refusals: Record<string, number>; sessionsOpened: number }> {
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
export function loggedOperations(leads: readonly LeadProc[]): LoggedOperation[] {
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

export function leadsAtKill(active: LeadProc, standby: LeadProc, killedAt: number): LeadsAtKill {
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
async function startSim(group: HaGroup, agents: number, heartbeatMs: number, ackRefusals: Map<string, number>, ackDeadLetters: Map<string, number>, totals: string[]): Promise<ChildProcess> {
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
      return;
    }
    // An ACK the outbox gave up on (a lead refused it for good on replay): counted by operation, and passed through.
    if (entry?.event === 'outbox.dead_letter' && entry.kind === 'ACK' && typeof entry.stream === 'string') {
      const key = `${entry.stream.replace(/^ack:/, '')} ${String(entry.code)}`;
      ackDeadLetters.set(key, (ackDeadLetters.get(key) ?? 0) + 1);
    }
    stderr.write(`${line}\n`);
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

export interface AgentRow {
  agent_id: string;
  state: string;
  last_heartbeat_at: number | null;
}

/** Every virtual agent as the lead's API lists it (pages of 1,000). */
export async function fleetAgents(api: LeadApi): Promise<AgentRow[]> {
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

async function leadApi(operator: MeshOperator): Promise<LeadApi> {
  return operatorApi(`http://127.0.0.1:${await freePort()}`, operator);
}
