// The faults the soak injects, each with how long the mesh took to recover from it. Every wait
// is on an observed state (a log line, a counter, an API answer), polled, with a time limit;
// a limit reached is recorded as "not recovered", never as a recovery.
import { readFile } from 'node:fs/promises';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { LeadApi, type LocalMesh, type MeshDaemon } from '../../harness/index.js';
import type { LeadWatch } from './lead-watch.js';
import { metricValues } from '../lib/metric-values.js';
import type { NatsTap, FloodCounts } from './nats-tap.js';
import type { OperationLoop } from './operations.js';

const POLL_MS = 200;
const RECOVERY_LIMIT_MS = 60_000;
/** Hold operations whose ACKs fall due while the broker is down; their targets this far apart. */
const HELD_OPERATIONS = 3;
const HELD_LEAD_MS = 2_500;
const HELD_SPACING_MS = 30;
/** The broker is killed at the latest this long before the first held target. */
const KILL_MARGIN_MS = 60;
const DAEMON_RESTART_AFTER_BROKER_MS = 3_000;
const OVERSIZED_BODY_BYTES = 1_200_000;
const OVERSIZED_CALLS = 3;
const DEEP_NESTING = 5_000;

export interface Recovery {
  /** What was waited for, in words. */
  what: string;
  /** From the end of the fault (the restart) until it held; null when it did not within the limit. */
  ms: number | null;
}

export interface FaultRecord {
  kind: string;
  /** Epoch ms of the injection and of the end of the fault (restart done, flood sent). */
  startedAt: number;
  endedAt: number;
  detail: Record<string, unknown>;
  recoveries: Recovery[];
}

/**
 * A fault once injected: its record, and its recoveries still being watched. The schedule goes
 * on meanwhile, so a slow recovery does not push the next fault out of the measured period.
 */
export interface Injected {
  record: Omit<FaultRecord, 'recoveries'>;
  recoveries: Promise<Recovery[]>;
}

export interface FaultContext {
  mesh: LocalMesh;
  tap: NatsTap;
  loop: OperationLoop;
  watch: LeadWatch;
  agentsTotal: number;
  outageMs: number;
  leadDownMs: number;
}

async function until<T>(limitMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function timed(what: string, from: number, check: () => Promise<boolean>): Promise<Recovery> {
  const held = await until(RECOVERY_LIMIT_MS, async () => ((await check()) ? Date.now() : undefined));
  return { what, ms: held === undefined ? null : held - from };
}

const AGENT_PAGE = 500;
/** Polled once a second: listing every agent costs the operator's rate budget. */
const LIST_POLL_MS = 1_000;

/**
 * Agents whose last accepted heartbeat is after `since`, whatever their state: after a fault the
 * lead may hold some in quarantine or probation for the ACKs they missed, yet take their beats.
 */
async function agentsBeatingSince(mesh: LocalMesh, since: number): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await mesh.api.getOk<{ agents: { last_heartbeat_at: number | null }[]; next_page_token?: string }>(
      `/v1/agents?page_size=${AGENT_PAGE}${token === undefined ? '' : `&page_token=${encodeURIComponent(token)}`}`,
    );
    if (page === undefined) return 0;
    count += page.agents.filter((a) => (a.last_heartbeat_at ?? 0) > since).length;
    token = page.next_page_token;
  } while (token !== undefined);
  return count;
}

async function slowly(check: () => Promise<boolean>): Promise<boolean> {
  const ok = await check();
  if (!ok) await new Promise((resolve) => setTimeout(resolve, LIST_POLL_MS - POLL_MS));
  return ok;
}

async function heartbeatsAccepted(mesh: LocalMesh): Promise<number | undefined> {
  const res = await mesh.api.request<string>('GET', '/metrics').catch(() => undefined);
  if (res?.status !== 200 || typeof res.body !== 'string') return undefined;
  return metricValues(res.body, 'mesh_lead_heartbeats_accepted_total')[''];
}

/** Lines of the daemon's current log with this event. */
async function daemonEvents(daemon: MeshDaemon, event: string): Promise<Record<string, unknown>[]> {
  const file = daemon.proc.logFiles.at(-1);
  if (file === undefined) return [];
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.includes(`"${event}"`))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

async function agentBackAt(mesh: LocalMesh, agentId: string, since: number): Promise<boolean> {
  const view = await mesh.api.getOk<{ state: string; last_heartbeat_at: number | null }>(`/v1/agents/${agentId}`);
  return view !== undefined && view.state === 'active' && (view.last_heartbeat_at ?? 0) > since;
}

/**
 * The broker killed (SIGKILL) while hold operations are between their COORDINATE and T, so every
 * agent's ACKs fall due with no broker and go to its outbox; the daemon is SIGKILLed with those
 * ACKs in its SQLite outbox; the broker comes back on its port, then the daemon.
 */
export async function natsOutageWithAgentKill(ctx: FaultContext): Promise<Injected> {
  const { mesh, tap, loop } = ctx;
  const nats = mesh.nats!;
  const daemon = mesh.daemons![0]!;
  const firstTarget = Date.now() + HELD_LEAD_MS;
  const held = [];
  for (let i = 0; i < HELD_OPERATIONS; i++) held.push(await loop.submit('scatter_gather', { target_time: firstTarget + i * HELD_SPACING_MS, timeout_ms: 30_000 }, 'held-'));
  const sawAll = await tap.waitForCoordinates(held.map((o) => o.id), firstTarget - KILL_MARGIN_MS);
  const startedAt = Date.now();
  await nats.kill();
  // The daemon's ACKs are due at T; it logs each one it keeps in its outbox.
  const heldIds = new Set(held.map((o) => o.id));
  const queued = await until(ctx.outageMs, async () => {
    // The line that names the outbox seq: the entry is stored (an error line of the same event may precede it).
    const lines = (await daemonEvents(daemon, 'outbox.enqueued')).filter((l) => heldIds.has(String(l.operation)) && l.seq !== undefined);
    return lines.length >= HELD_OPERATIONS ? lines : undefined;
  });
  const queuedLines = queued ?? (await daemonEvents(daemon, 'outbox.enqueued')).filter((l) => heldIds.has(String(l.operation)) && l.seq !== undefined);
  const daemonKilledAt = Date.now();
  await daemon.proc.kill();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + ctx.outageMs - Date.now())));
  await nats.restart();
  const brokerBack = Date.now();
  const before = ctx.watch.samples.filter((s) => s.heartbeatsAccepted !== null).at(-1)?.heartbeatsAccepted ?? 0;
  const broker = Promise.all([
    timed('heartbeats accepted again (lead counter rises)', brokerBack, async () => ((await heartbeatsAccepted(mesh)) ?? 0) > before),
    timed(`a heartbeat accepted from every agent but the killed daemon (${ctx.agentsTotal - 1})`, brokerBack, () => slowly(async () => (await agentsBeatingSince(mesh, brokerBack)) >= ctx.agentsTotal - 1)),
  ]);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, brokerBack + DAEMON_RESTART_AFTER_BROKER_MS - Date.now())));
  const daemonRestart = Date.now();
  await daemon.proc.start();
  const agent = Promise.all([
    timed(`${daemon.agentId} active again at the lead (a heartbeat accepted after its restart)`, daemonRestart, () => agentBackAt(mesh, daemon.agentId, daemonRestart)),
    timed(`${daemon.agentId}'s outbox delivered (${queuedLines.length} ACKs confirmed by the lead)`, daemonRestart, async () => (await daemonEvents(daemon, 'outbox.replayed')).length >= queuedLines.length),
  ]);
  return {
    record: {
      kind: 'nats-outage+agent-kill',
      startedAt,
      endedAt: daemonRestart,
      detail: {
        held_operations: held.map((o) => o.id),
        coordinates_seen_before_kill: sawAll,
        outage_ms: brokerBack - startedAt,
        daemon_outbox_acks_when_killed: queuedLines.length,
        daemon_killed_ms_after_broker: daemonKilledAt - startedAt,
        daemon_down_ms: daemonRestart - daemonKilledAt,
      },
    },
    recoveries: Promise.all([broker, agent]).then((parts) => parts.flat()),
  };
}

/** The lead SIGKILLed with an operation in flight, started again on the same config and database. */
export async function leadKill(ctx: FaultContext): Promise<Injected> {
  const { mesh, tap, loop } = ctx;
  const lead = mesh.lead!;
  const target = Date.now() + 1_500;
  const inFlight = await loop.submit('scatter_gather', { target_time: target }, 'inflight-');
  const seen = await tap.waitForCoordinates([inFlight.id], target - KILL_MARGIN_MS);
  const startedAt = Date.now();
  await lead.kill();
  await new Promise((resolve) => setTimeout(resolve, ctx.leadDownMs));
  const restartAt = Date.now();
  await lead.start();
  const readyMs = Date.now() - restartAt;
  const recoveries = Promise.all([
    timed('heartbeats accepted again (lead counter rises)', restartAt, async () => ((await heartbeatsAccepted(mesh)) ?? 0) > 0),
    timed(`a heartbeat accepted from every agent (${ctx.agentsTotal})`, restartAt, () => slowly(async () => (await agentsBeatingSince(mesh, restartAt)) >= ctx.agentsTotal)),
  ]).then((rest) => [{ what: 'lead serving its API (/health/ready 200)', ms: readyMs }, ...rest]);
  return { record: { kind: 'lead-kill', startedAt, endedAt: restartAt, detail: { in_flight_operation: inFlight.id, coordinate_seen_before_kill: seen, down_ms: restartAt - startedAt } }, recoveries };
}

/** Answers by kind of bad call and HTTP status; `unanswered`: no HTTP answer (connection refused or reset). */
export type ApiFloodCounts = Record<string, Record<string, number>>;

/** An operation whose payload nests `depth` objects: written out as text, since JSON.stringify overflows its stack first. */
function nestedBody(depth: number): string {
  return `{"verb":"act","selector":{"all":true},"payload":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
}

/** Bad API calls: unsigned, forged signatures, unknown operator, invalid bodies, deep nesting, oversized bodies. */
async function apiFlood(mesh: LocalMesh, calls: number): Promise<ApiFloodCounts> {
  const counts: ApiFloodCounts = {};
  const forger = await nodeEd25519.generateKeyPair();
  const unsigned = new LeadApi(mesh.leadUrl);
  const forged = new LeadApi(mesh.leadUrl, { operatorId: mesh.operator.id, privateKey: forger.privateKey });
  const stranger = new LeadApi(mesh.leadUrl, { operatorId: 'nobody', privateKey: forger.privateKey });
  const tally = async (kind: string, call: () => Promise<{ status: number }>): Promise<void> => {
    const row = (counts[kind] ??= {});
    let answer: string;
    try {
      answer = String((await call()).status);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      answer = `unanswered (${cause ?? (error instanceof Error ? error.message.slice(0, 60) : 'error')})`;
    }
    row[answer] = (row[answer] ?? 0) + 1;
  };
  // Signed calls use the operator's rate budget, which the soak's own calls need: a few of each.
  const signedBad = Math.min(20, Math.floor(calls / 10));
  for (let i = 0; i < signedBad; i++) await tally('invalid fields (signed)', () => mesh.api.post('/v1/operations', { verb: 'dance', selector: 'everyone', window_ms: -1 }));
  for (let i = 0; i < Math.min(5, signedBad); i++) await tally(`payload nested ${DEEP_NESTING} deep (signed)`, () => mesh.api.requestText('POST', '/v1/operations', nestedBody(DEEP_NESTING)));
  for (let i = 0; i < Math.min(5, signedBad); i++) await tally('malformed JSON (signed)', () => mesh.api.requestText('POST', '/v1/operations', '{"verb": "act", "selector": {'));
  for (let i = 0; i < OVERSIZED_CALLS; i++) await tally('1.2 MB body (signed)', () => mesh.api.post('/v1/operations', { verb: 'record', selector: { all: true }, payload: { blob: 'x'.repeat(OVERSIZED_BODY_BYTES) } }));
  const rest = Math.max(0, calls - signedBad - 2 * Math.min(5, signedBad) - OVERSIZED_CALLS);
  const batch: Promise<void>[] = [];
  for (let i = 0; i < rest; i++) {
    const kind = i % 3;
    batch.push(
      kind === 0
        ? tally('unsigned', () => unsigned.get('/v1/status'))
        : kind === 1
          ? tally('forged signature', () => forged.post('/v1/operations', { verb: 'record', selector: { all: true } }))
          : tally('unknown operator', () => stranger.get('/v1/agents')),
    );
    if (batch.length >= 50) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  return counts;
}

/** Bad frames on the lead's NATS subjects and bad API calls, at once. */
export async function flood(ctx: FaultContext, frames: number, calls: number): Promise<Injected> {
  const startedAt = Date.now();
  const [nats, api] = await Promise.all([ctx.tap.flood(frames), apiFlood(ctx.mesh, calls)]);
  const endedAt = Date.now();
  const ready = await ctx.mesh.api.getOk('/health/ready');
  const recoveries = Promise.all([
    timed('heartbeats accepted after the flood (lead counter rises)', endedAt, async () => {
      const first = await heartbeatsAccepted(ctx.mesh);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      return first !== undefined && ((await heartbeatsAccepted(ctx.mesh)) ?? 0) > first;
    }),
  ]);
  const detail: { nats: FloodCounts; api: ApiFloodCounts; lead_ready_after: boolean } = { nats, api, lead_ready_after: ready !== undefined };
  return { record: { kind: 'flood', startedAt, endedAt, detail }, recoveries };
}
