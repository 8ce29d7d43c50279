/**
 * One hold scatter-gather of the scale bench, taken apart: when T was set against the send,
 * what the agent that set it was expected to take, who was READY in time, when the lead
 * decided, and (from the lead's "operation completed" log line) when the ACKs reached the
 * lead's intake and how long they waited there to be verified.
 */
import { readFile } from 'node:fs/promises';
import type { ArrivalRecord, HoldDiagnosis } from '../../../packages/pi-daemon/src/sim/arrival-tap.js';

export interface ScatterFigures {
  operationId: string;
  status: string;
  sent: number;
  /** READY ACKs counted by the decision. */
  ready: number;
  stragglers: number;
  /** T - the operation's start (plan), and T - the first hold COORDINATE's send. */
  tAfterStartMs: number;
  tAfterSendMs: number;
  /** The lead time parts of the agent that set T (hold: the processing tail and the one-way upper bound). */
  setByProcessingMs: number | null;
  setByOneWayMs: number | null;
  deadlineAfterTMs: number;
  decidedAfterTMs: number;
  /** Decided early (PROCEED certain): when the result was closed, - T; null when decided at the close. */
  closedAfterTMs: number | null;
  /** Responders whose ready time (mesh) was after T: processing that did not end before T. */
  readyAfterT: number;
  /** Responders' ready time (mesh, the agent's own conversion) - T: p50 / p90 / max. */
  readyMinusT: Spread | null;
  /** ACK handed to the operation (after verification) - T: p50 / p90 / max. */
  countedAfterT: Spread | null;
  /** The agents' own processing_ms: p50 / p99. */
  processing: Spread | null;
  /** From the lead's log: ACK arrival at the intake - T, and the wait to be verified. */
  intakeArrivalAfterT: Spread | null;
  verifyWait: Spread | null;
  /** Lead: plan time, and start to first hold send. */
  planMs: number | null;
  holdSentAfterStartMs: number | null;
  /** From the sims' arrival files: READY handed to the sim's NATS client - T (stamp + wait behind the pass's other sends), and how many were signed before T. */
  simSentAfterT?: Spread | null;
  prebuilt?: number;
  simReleases?: number;
  /** READYs signed again inside the release pass because the release came late; how late the pass's timer woke, and the stamps' lateness (agent clock), ms. */
  signedAtRelease?: number;
  wakeLate?: Spread | null;
  stampLate?: Spread | null;
}

export interface Spread {
  p50: number;
  p90: number;
  p99?: number;
  max: number;
}

interface Responder {
  received_at?: number;
  ready_at_mesh?: number;
  processing_ms?: number;
}

interface View {
  operation_id?: string;
  result?: {
    status?: string;
    counts?: { sent?: number; ready?: number; stragglers?: number };
    responders?: Responder[];
    timings?: {
      target_time?: number;
      started_at?: number;
      deadline?: number;
      decided_at?: number;
      closed_at?: number;
      first_send_at?: number | null;
      target_set_by?: { lead?: { expected_processing_ms?: number; one_way_delay_ms?: number } } | null;
    };
  } | null;
}

export function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Math.round(sorted.at(-1)!) };
}

/** The lead's "operation completed" and "operation started" log lines for this operation (pino JSON), merged. */
export async function leadLogFields(logFile: string, operationId: string): Promise<Record<string, unknown>> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const fields: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    if (!line.includes(operationId) || !line.includes('"operation ')) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.msg === 'operation started' || parsed.msg === 'operation completed') Object.assign(fields, parsed);
    } catch {
      // a torn line: skipped
    }
  }
  return fields;
}

/** A sim's arrival record as read back: any field may be missing from an older sim's or a torn line. */
type ArrivalLine = Partial<Omit<ArrivalRecord, 'hold'>> & { hold?: Partial<HoldDiagnosis> };

/** The sims' side of one operation, from their arrival files (one JSON line per READY release). */
export async function simSendFigures(files: readonly string[], operationId: string): Promise<Pick<ScatterFigures, 'simSentAfterT' | 'prebuilt' | 'simReleases' | 'signedAtRelease' | 'wakeLate' | 'stampLate'>> {
  const sent: number[] = [];
  const wake: number[] = [];
  const late: number[] = [];
  let prebuilt = 0;
  let signedAtRelease = 0;
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.includes(operationId)) continue;
      try {
        const a = JSON.parse(line) as ArrivalLine;
        if (a.operation_id !== operationId || a.ready_true_ms === undefined || a.target_time === undefined) continue;
        sent.push(a.ready_true_ms + (a.hold?.effect_delay_ms ?? 0) - a.target_time);
        if (a.hold?.prebuilt === true) prebuilt += 1;
        if (a.hold?.signed_at_release === true) signedAtRelease += 1;
        if (a.hold?.wake_late_ms !== undefined) wake.push(a.hold.wake_late_ms);
        if (a.hold?.deadline_local_ms !== undefined && a.ready_local_ms !== undefined) late.push(a.ready_local_ms - a.hold.deadline_local_ms);
      } catch {
        // a torn line: skipped
      }
    }
  }
  return { simSentAfterT: spreadOf(sent), prebuilt, simReleases: sent.length, signedAtRelease, wakeLate: spreadOf(wake), stampLate: spreadOf(late) };
}

/** A held READY is stamped at T on the agent's clock; its mesh conversion may land a hair past T. */
const READY_AFTER_T_SLACK_MS = 1;

export function scatterFigures(view: unknown, log: Record<string, unknown>): ScatterFigures {
  const v = (view ?? {}) as View;
  const r = v.result ?? {};
  const t = r.timings ?? {};
  const target = t.target_time ?? Number.NaN;
  const responders = r.responders ?? [];
  const acks = (log.acks ?? {}) as { arrivalAfterT?: Spread | null; verifyWait?: Spread | null };
  return {
    operationId: v.operation_id ?? '?',
    status: r.status ?? '?',
    sent: r.counts?.sent ?? 0,
    ready: r.counts?.ready ?? 0,
    stragglers: r.counts?.stragglers ?? 0,
    tAfterStartMs: target - (t.started_at ?? Number.NaN),
    tAfterSendMs: target - (t.first_send_at ?? Number.NaN),
    setByProcessingMs: t.target_set_by?.lead?.expected_processing_ms ?? null,
    setByOneWayMs: t.target_set_by?.lead?.one_way_delay_ms ?? null,
    deadlineAfterTMs: (t.deadline ?? Number.NaN) - target,
    decidedAfterTMs: (t.decided_at ?? Number.NaN) - target,
    closedAfterTMs: t.closed_at === undefined ? null : t.closed_at - target,
    readyAfterT: responders.filter((x) => (x.ready_at_mesh ?? -Infinity) > target + READY_AFTER_T_SLACK_MS).length,
    readyMinusT: spreadOf(responders.flatMap((x) => (x.ready_at_mesh === undefined ? [] : [x.ready_at_mesh - target]))),
    countedAfterT: spreadOf(responders.flatMap((x) => (x.received_at === undefined ? [] : [x.received_at - target]))),
    processing: spreadOf(responders.flatMap((x) => (x.processing_ms === undefined ? [] : [x.processing_ms]))),
    intakeArrivalAfterT: acks.arrivalAfterT ?? null,
    verifyWait: acks.verifyWait ?? null,
    planMs: typeof log.plan_ms === 'number' ? log.plan_ms : null,
    holdSentAfterStartMs: typeof log.hold_sent_after_start_ms === 'number' ? log.hold_sent_after_start_ms : null,
  };
}

const fmt = (s: Spread | null): string => (s === null ? '-' : `${s.p50}/${s.p90}/${s.max}`);
const ms = (x: number | null): string => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(0));

export const SCATTER_HEADERS = [
  'op', 'status', 'T-start', 'T-send', 'set by: proc / 1-way', 'deadline-T', 'READY / straggled', 'ready after T', 'ready-T p50/p90/max', 'decided-T (closed-T)',
  'sim sent-T p50/p90/max (prebuilt/re-signed/releases)', 'sim wake late / stamp late p50/p90/max', 'intake arrival-T p50/p90/max', 'verify wait p50/p90/max', 'counted-T p50/p90/max', 'processing p50/p99', 'plan ms', 'hold sent after start',
];

export function scatterRow(f: ScatterFigures): string[] {
  return [
    f.operationId, f.status, ms(f.tAfterStartMs), ms(f.tAfterSendMs), `${ms(f.setByProcessingMs)} / ${ms(f.setByOneWayMs)}`, ms(f.deadlineAfterTMs),
    `${f.ready} / ${f.stragglers}`, String(f.readyAfterT), fmt(f.readyMinusT), f.closedAfterTMs === null ? ms(f.decidedAfterTMs) : `${ms(f.decidedAfterTMs)} (${ms(f.closedAfterTMs)})`, `${fmt(f.simSentAfterT ?? null)} (${f.prebuilt ?? '-'}/${f.signedAtRelease ?? '-'}/${f.simReleases ?? '-'})`, `${fmt(f.wakeLate ?? null)} / ${fmt(f.stampLate ?? null)}`, fmt(f.intakeArrivalAfterT), fmt(f.verifyWait), fmt(f.countedAfterT),
    f.processing === null ? '-' : `${f.processing.p50}/${f.processing.p99}`, ms(f.planMs), ms(f.holdSentAfterStartMs),
  ];
}
