// From what the soak recorded to its figures: per window (baseline, faults, tail) the
// operations and their outcomes, the ACK reconciliation, the heartbeat rate, the lead's
// event-loop delay and memory; and where each lost ACK comes from. Pure: tested on its own.
import { reconcile, type AgentAck, type HistoryRow, type LeadAck } from './ack-ledger.js';
import type { FaultRecord } from './faults.js';
import { counterIncrease, type LeadSample } from './lead-watch.js';
import type { SoakOperation } from './operations.js';
import type { Phase } from './plan.js';

/** Nearest-rank percentile; NaN for no values. */
function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface OperationCounts {
  started: number;
  /** The lead answered 202. */
  accepted: number;
  /** Settled SUCCEEDED with a SUCCESS decision. */
  success: number;
  /** Settled SUCCEEDED with PARTIAL (quorum not met). */
  partial: number;
  /** Settled FAILED or CANCELLED. */
  failed: number;
  /** Accepted and never settled (e.g. in flight when the lead was killed). */
  unsettled: number;
  /** The POST was refused or the lead was unreachable. */
  notAccepted: number;
}

export function countOperations(ops: readonly SoakOperation[]): OperationCounts {
  const c: OperationCounts = { started: ops.length, accepted: 0, success: 0, partial: 0, failed: 0, unsettled: 0, notAccepted: 0 };
  for (const op of ops) {
    if (op.postStatus !== 202) {
      c.notAccepted++;
      continue;
    }
    c.accepted++;
    if (op.settledAt === null) c.unsettled++;
    else if (op.state === 'SUCCEEDED' && op.resultStatus === 'SUCCESS') c.success++;
    else if (op.state === 'SUCCEEDED') c.partial++;
    else c.failed++;
  }
  return c;
}

export interface RssSegment {
  pid: number | undefined;
  fromS: number;
  toS: number;
  startMb: number;
  endMb: number;
  growthMb: number;
  mbPerMin: number;
}

/** RSS at the edges of each lead process's stretch inside [from, to]; `settleMs` skips a new process's start-up. */
export function rssSegments(samples: readonly LeadSample[], from: number, to: number, t0: number, settleMs: number): RssSegment[] {
  const byPid = new Map<number | undefined, LeadSample[]>();
  for (const s of samples) {
    if (s.at < from || s.at > to || !Number.isFinite(s.rssMb)) continue;
    const list = byPid.get(s.pid) ?? [];
    list.push(s);
    byPid.set(s.pid, list);
  }
  const out: RssSegment[] = [];
  let first = true;
  for (const [pid, list] of byPid) {
    // A process that started inside the window is measured once its start-up is over.
    const begin = first ? list[0]! : list.find((s) => s.at >= list[0]!.at + settleMs);
    first = false;
    const end = list.at(-1)!;
    if (begin === undefined || end.at <= begin.at) continue;
    const minutes = (end.at - begin.at) / 60_000;
    out.push({ pid, fromS: (begin.at - t0) / 1000, toS: (end.at - t0) / 1000, startMb: begin.rssMb, endMb: end.rssMb, growthMb: end.rssMb - begin.rssMb, mbPerMin: (end.rssMb - begin.rssMb) / minutes });
  }
  return out;
}

export interface WindowFigures {
  name: string;
  fromS: number;
  toS: number;
  operations: OperationCounts;
  acks: { sent: number; reached: number; lost: number; duplicated: number; unmatchedAtLead: number; duplicatedByAgents: number };
  heartbeats: { accepted: number; perSecond: number; asked: number };
  /** Of the per-second worst event-loop delays scraped in the window. */
  loopDelayMs: { p50: number; p99: number; max: number; samples: number };
  /** Scrapes (about one a second) that saw at least one breaker open: the breakers only count (metrics_only), they do not stop sends. */
  breakerOpenScrapes: number;
  rss: RssSegment[];
}

export interface SoakRecords {
  t0: number;
  operations: readonly SoakOperation[];
  agentAcks: readonly AgentAck[];
  leadAcks: readonly LeadAck[];
  samples: readonly LeadSample[];
  agentsTotal: number;
  heartbeatMs: number;
}

const RSS_SETTLE_MS = 10_000;

export function windowFigures(r: SoakRecords, phase: Pick<Phase, 'fromS' | 'toS'> & { name: string }): WindowFigures {
  const from = r.t0 + phase.fromS * 1000;
  const to = r.t0 + phase.toS * 1000;
  const ops = r.operations.filter((o) => o.submittedAt >= from && o.submittedAt < to);
  const ids = new Set(ops.map((o) => o.id));
  const acks = reconcile(r.agentAcks, r.leadAcks, (id) => ids.has(id));
  const inWindow = r.samples.filter((s) => s.at >= from && s.at <= to);
  const delays = inWindow.map((s) => s.loopDelayMs).filter((d): d is number => d !== null);
  const accepted = counterIncrease(r.samples, from, to, (s) => s.heartbeatsAccepted);
  const seconds = (to - from) / 1000;
  return {
    name: phase.name,
    fromS: phase.fromS,
    toS: phase.toS,
    operations: countOperations(ops),
    acks: { sent: acks.sent, reached: acks.reached, lost: acks.lost.length, duplicated: acks.duplicated, unmatchedAtLead: acks.unmatchedAtLead.length, duplicatedByAgents: acks.duplicatedByAgents },
    heartbeats: { accepted, perSecond: accepted / seconds, asked: (r.agentsTotal * 1000) / r.heartbeatMs },
    loopDelayMs: { p50: quantile(delays, 0.5), p99: quantile(delays, 0.99), max: delays.length === 0 ? Number.NaN : Math.max(...delays), samples: delays.length },
    breakerOpenScrapes: inWindow.filter((s) => (s.breakersOpen ?? 0) > 0).length,
    rss: rssSegments(r.samples, from, to, r.t0, RSS_SETTLE_MS),
  };
}

export interface LossGroup {
  /** The fault the operation met (its id tells: held- and inflight- operations are the faults' own), or none. */
  cause: string;
  source: string;
  state: string;
  /** The operation's row in the lead's history: its status, or absent. */
  leadRecord: string;
  count: number;
  operations: string[];
}

/** The fault an operation met: injected while it could still collect ACKs (submitted up to `reachMs` before the fault, until the fault ended). */
export function faultOf(op: SoakOperation | undefined, faults: readonly FaultRecord[], reachMs: number): string {
  if (op === undefined) return 'unknown operation';
  const hit = faults.find((f) => op.submittedAt >= f.startedAt - reachMs && op.submittedAt <= f.endedAt);
  return hit?.kind ?? 'none';
}

export function lossGroups(lost: readonly AgentAck[], ops: readonly SoakOperation[], history: readonly HistoryRow[], faults: readonly FaultRecord[], reachMs: number): LossGroup[] {
  const opById = new Map(ops.map((o) => [o.id, o]));
  const rowById = new Map(history.map((h) => [h.operationId, h]));
  const groups = new Map<string, LossGroup>();
  for (const a of lost) {
    const cause = faultOf(opById.get(a.operationId), faults, reachMs);
    const leadRecord = rowById.get(a.operationId)?.status ?? 'absent';
    const state = a.code === undefined ? a.state : `${a.state} (${a.code})`;
    const k = [cause, a.source, state, leadRecord].join('|');
    const g = groups.get(k) ?? { cause, source: a.source, state, leadRecord, count: 0, operations: [] };
    g.count++;
    if (!g.operations.includes(a.operationId)) g.operations.push(a.operationId);
    groups.set(k, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}
