// Pure figures of the outside observer (ack-observer.ts): when each READY became visible on the
// bus, against T and against the sim's own stamp, and a breakdown of hold-mode timer lateness.
//
// observed instant = observer's arrival stamp - the ACK's emulated uplink delay (the sim's link
// model drew it and recorded it). What is left between the stamp and that instant is the
// stamp-to-wire delay: work between the release and the send, the sim's link timer, the NATS
// client and server. The hold targets are judged on the observed instant.
import { distribution, type Distribution, type MeasuredOperation } from './stats.js';
import type { SeenAck } from './ack-observer.js';
import { TARGETS, type TargetCheck } from './targets.js';

/** The fields of a sim's arrival record this module reads (packages/pi-daemon/src/sim/arrival-tap.ts). */
export interface ObservedLine {
  agent_id: string;
  operation_id: string;
  ready_true_ms: number;
  /** Optional only so that the benchmark's ArrivalLine (stats.ts) fits; sims always write it. */
  ready_local_ms?: number;
  ack_message_id?: string;
  uplink_delay_ms?: number;
  /** When the sim's emulated uplink handed the ACK to its NATS connection (machine clock). */
  uplink_out_true_ms?: number;
  /** The instant the uplink delay ran from: the send, as on the agent's own device (newer sims). */
  uplink_in_true_ms?: number;
  hold?: {
    deadline_local_ms: number;
    deadline_mesh_ms: number;
    prebuilt: boolean;
    signed_at_release?: boolean;
    wake_late_ms?: number;
    in_pass_ms?: number;
    effect_delay_ms?: number;
    margin_ms?: number;
    spin_tail_ms?: number;
    run_queue_ms?: number;
  };
}

export interface ObservedFigures {
  mode: string;
  /** Records matched with an ACK the observer saw (and whose uplink delay is known). */
  matched: number;
  /** Records with no such ACK (lost, outboxed, or, behind a gateway, an ACK id split over two chunks of the shared link). */
  unmatched: number;
  /** |observed instant - T|, ms. */
  observedAbs: Distribution;
  observedSignedP50: number;
  /** Observed instant - the sim's stamp (signed; the stamp is the true ready), ms. */
  stampToWire: Distribution;
  /**
   * Stamp-to-wire split where the sim's emulated uplink handed the ACK to its connection (records
   * that say when): inside the sim (release to send, and the link timer's lateness) ...
   */
  inSim: Distribution;
  /** ... and after it (the NATS client's flush, nats-server, the observer's own event loop). */
  afterSim: Distribution;
  /**
   * The emulated link's own lateness: it let the ACK go this long after its send plus its drawn
   * delay (the sim process busy; a real link has no such wait). Records that say when it was sent.
   */
  linkLate?: Distribution;
  /**
   * |observed instant - T| with the emulated link's own lateness taken off: the send as on the
   * agent's own device, plus what came after the sim (seen - link out + send). Records that say
   * both; the instant a real link would have shown, everything after the sim still counted.
   */
  netAbs?: Distribution;
  /** Share of matched releases observed within the window of T. */
  observedHitRate: number;
}

/** Where hold-mode lateness came from, per release (sims record these; see HoldDiagnosis). */
export interface HoldBreakdown {
  releases: number;
  /** Share of READYs sent as signed before T. */
  prebuiltShare: number;
  /** Share of READYs signed again inside the release pass, the release having come late (absent in older results). */
  signedAtReleaseShare?: number;
  /** ready_local - deadline_local: the timer alone, on the agent's own clock. */
  ownClockLate: Distribution;
  /** deadline_mesh - T: how far the clock estimate moved between scheduling and release. */
  estimateShift: Distribution;
  /** How late the timer that started the release pass woke. */
  wakeLate: Distribution;
  /** Time between the pass's first stamp and this one. */
  inPass: Distribution;
  /** Time from the stamp to the effect (the send): the other agents' effects of the pass first (absent in older results). */
  effectDelay?: Distribution;
  /** Spin margin in force. */
  margin: Distribution;
  /** Busy-waited tail in force (absent in older results). */
  spinTail?: Distribution;
  /** The sim's thread waiting for a CPU from arming the timer to the end of the pass: the machine's share. */
  runQueue: Distribution;
  /** Releases late on their own clock by more than 1 ms, and how many of them waited at least as long for a CPU. */
  late: { n: number; explainedByRunQueue: number };
}

function matchedLines(mode: string, operations: readonly MeasuredOperation[], lines: readonly ObservedLine[]): { op: MeasuredOperation; line: ObservedLine }[] {
  const byOp = new Map(operations.filter((o) => o.mode === mode).map((o) => [o.operationId, o]));
  const seen = new Set<string>();
  const out: { op: MeasuredOperation; line: ObservedLine }[] = [];
  for (const line of lines) {
    const op = byOp.get(line.operation_id);
    const key = `${line.operation_id}/${line.agent_id}`;
    if (op === undefined || seen.has(key)) continue;
    seen.add(key);
    out.push({ op, line });
  }
  return out;
}

export function observedFigures(mode: string, operations: readonly MeasuredOperation[], lines: readonly ObservedLine[], seen: ReadonlyMap<string, SeenAck>, windowMs: number): ObservedFigures {
  const signed: number[] = [];
  const wire: number[] = [];
  const inSim: number[] = [];
  const afterSim: number[] = [];
  const linkLate: number[] = [];
  const net: number[] = [];
  let unmatched = 0;
  for (const { op, line } of matchedLines(mode, operations, lines)) {
    const ack = line.ack_message_id === undefined ? undefined : seen.get(line.ack_message_id);
    if (ack === undefined || line.uplink_delay_ms === undefined) {
      unmatched++;
      continue;
    }
    const observed = ack.seenTrueMs - line.uplink_delay_ms;
    signed.push(observed - op.targetTime);
    wire.push(observed - line.ready_true_ms);
    if (line.uplink_out_true_ms !== undefined) {
      inSim.push(line.uplink_out_true_ms - line.uplink_delay_ms - line.ready_true_ms);
      afterSim.push(ack.seenTrueMs - line.uplink_out_true_ms);
      if (line.uplink_in_true_ms !== undefined) {
        linkLate.push(line.uplink_out_true_ms - line.uplink_in_true_ms - line.uplink_delay_ms);
        net.push(Math.abs(ack.seenTrueMs - line.uplink_out_true_ms + line.uplink_in_true_ms - op.targetTime));
      }
    }
  }
  const abs = signed.map(Math.abs);
  return {
    mode,
    matched: signed.length,
    unmatched,
    observedAbs: distribution(abs),
    observedSignedP50: distribution(signed).p50,
    stampToWire: distribution(wire),
    inSim: distribution(inSim),
    afterSim: distribution(afterSim),
    linkLate: distribution(linkLate),
    netAbs: distribution(net),
    observedHitRate: abs.length === 0 ? Number.NaN : abs.filter((e) => e <= windowMs).length / abs.length,
  };
}

/** A release later than this on its own clock counts as late in the breakdown. */
const LATE_MS = 1;

export function holdBreakdown(operations: readonly MeasuredOperation[], lines: readonly ObservedLine[]): HoldBreakdown {
  const parts = { own: [] as number[], shift: [] as number[], wake: [] as number[], pass: [] as number[], effect: [] as number[], margin: [] as number[], tail: [] as number[], queue: [] as number[] };
  const late = { n: 0, explainedByRunQueue: 0 };
  let prebuilt = 0;
  let signedAtRelease = 0;
  let releases = 0;
  for (const { op, line } of matchedLines('hold', operations, lines)) {
    const hold = line.hold;
    if (hold === undefined || line.ready_local_ms === undefined) continue;
    releases++;
    if (hold.prebuilt) prebuilt++;
    if (hold.signed_at_release === true) signedAtRelease++;
    const own = line.ready_local_ms - hold.deadline_local_ms;
    parts.own.push(own);
    if (hold.run_queue_ms !== undefined) parts.queue.push(hold.run_queue_ms);
    if (own > LATE_MS) {
      late.n++;
      if (hold.run_queue_ms !== undefined && hold.run_queue_ms >= own - LATE_MS) late.explainedByRunQueue++;
    }
    parts.shift.push(hold.deadline_mesh_ms - op.targetTime);
    if (hold.wake_late_ms !== undefined) parts.wake.push(hold.wake_late_ms);
    if (hold.in_pass_ms !== undefined) parts.pass.push(hold.in_pass_ms);
    if (hold.effect_delay_ms !== undefined) parts.effect.push(hold.effect_delay_ms);
    if (hold.margin_ms !== undefined) parts.margin.push(hold.margin_ms);
    if (hold.spin_tail_ms !== undefined) parts.tail.push(hold.spin_tail_ms);
  }
  return {
    releases,
    prebuiltShare: releases === 0 ? Number.NaN : prebuilt / releases,
    signedAtReleaseShare: releases === 0 ? Number.NaN : signedAtRelease / releases,
    ownClockLate: distribution(parts.own),
    estimateShift: distribution(parts.shift),
    wakeLate: distribution(parts.wake),
    inPass: distribution(parts.pass),
    effectDelay: distribution(parts.effect),
    margin: distribution(parts.margin),
    spinTail: distribution(parts.tail),
    runQueue: distribution(parts.queue),
    late,
  };
}

/** The hold targets (targets.ts) judged on the observed instant. */
export function observedChecks(profile: string, halfAsymmetryMs: number, hold: ObservedFigures | undefined): TargetCheck[] {
  if (hold === undefined || hold.matched === 0) return [];
  const note = halfAsymmetryMs > 0 ? `half-asymmetry bound ${halfAsymmetryMs} ms added` : undefined;
  const check = (metric: string, limit: number, actual: number): TargetCheck => {
    const met = actual <= limit;
    return { profile, mode: 'hold', metric, comparison: '<=', limit, actual, met, missedBy: met ? 0 : Number.isNaN(actual) ? Number.NaN : actual - limit, ...(note === undefined ? {} : { note }) };
  };
  const checks = [
    check('observed |error| p99 (ms)', TARGETS.holdP99Ms + halfAsymmetryMs, hold.observedAbs.p99),
    check('observed |error| max (ms)', TARGETS.holdMaxMs + halfAsymmetryMs, hold.observedAbs.max),
  ];
  // Older sims do not say when each ACK was sent: no figure without the emulated link's lateness.
  if (hold.netAbs === undefined || hold.netAbs.n === 0) return checks;
  return [
    ...checks,
    check('observed, link emulator\'s lateness off, |error| p99 (ms)', TARGETS.holdP99Ms + halfAsymmetryMs, hold.netAbs.p99),
    check('observed, link emulator\'s lateness off, |error| max (ms)', TARGETS.holdMaxMs + halfAsymmetryMs, hold.netAbs.max),
  ];
}

/** One release as recorded and as observed, for a look at single cases (ARRIVAL_OBSERVER_OUT). */
export function observedRows(profile: string, operations: readonly MeasuredOperation[], lines: readonly ObservedLine[], seen: ReadonlyMap<string, SeenAck>): Record<string, unknown>[] {
  const byOp = new Map(operations.map((o) => [o.operationId, o]));
  return lines.flatMap((line) => {
    const op = byOp.get(line.operation_id);
    if (op === undefined) return [];
    const ack = line.ack_message_id === undefined ? undefined : seen.get(line.ack_message_id);
    const observed = ack === undefined || line.uplink_delay_ms === undefined ? null : ack.seenTrueMs - line.uplink_delay_ms;
    return [{ profile, mode: op.mode, ...line, error_ms: line.ready_true_ms - op.targetTime, observed_error_ms: observed === null ? null : observed - op.targetTime, stamp_to_wire_ms: observed === null ? null : observed - line.ready_true_ms }];
  });
}

/** What a profile's result keeps of the observer. */
export interface ObserverResult {
  modes: ObservedFigures[];
  hold: HoldBreakdown;
  /** Frames on the ACK subject the observer could not read. */
  unreadable: number;
}

export function observerResult(
  modes: readonly string[],
  operations: readonly MeasuredOperation[],
  lines: readonly ObservedLine[],
  observer: { byMessageId: ReadonlyMap<string, SeenAck>; unreadableCount: number },
  windowMs: number,
): ObserverResult {
  return {
    modes: modes.map((mode) => observedFigures(mode, operations, lines, observer.byMessageId, windowMs)),
    hold: holdBreakdown(operations, lines),
    unreadable: observer.unreadableCount,
  };
}
