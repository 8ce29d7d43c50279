import { createWriteStream, type WriteStream } from 'node:fs';
import type { ReadyEvent } from '../coordination/ready-event.js';

/**
 * One READY release as the machine's clock saw it. A virtual agent's clock is a SkewedClock
 * over the process's true clock, so its stamp converts back to true time exactly: this is the
 * truth a benchmark measures the arrival error against, not what the agent reports.
 */
export interface ArrivalRecord {
  agent_id: string;
  operation_id: string;
  mode: string;
  /** T in mesh time (the lead's clock, which is the machine's clock in a local mesh). */
  target_time: number;
  /** The release instant on the machine's clock (performance.timeOrigin + performance.now()). */
  ready_true_ms: number;
  /** The same instant on the agent's skewed clock. */
  ready_local_ms: number;
  /** The agent's skew at that instant: its clock minus the true clock (simulated truth). */
  true_offset_ms: number;
  /** The agent's estimate of mesh time at that instant minus the true time: its offset-estimation error. */
  offset_error_ms: number;
  /**
   * When the handler finished, as the agent's estimate of mesh time. In hold mode the release
   * waits for max(T, this): what lies beyond it is the release timer's own lateness.
   */
  finished_mesh_ms: number;
  /** The sim's processing scenario (processing-model.ts). */
  processing_scenario?: string;
  /** What this operation's processing draw was, ms (what the handler waited). */
  processing_ms?: number;
  /** The agent's true median processing time and median lead-to-agent delay: what an oracle predictor would aim at. */
  true_processing_median_ms?: number;
  /** Absent when the sim does not know its link (a shared gateway link lives outside it). */
  true_one_way_median_ms?: number;
  /** Lead mode: the lead time the lead planned for this agent (its COORDINATE's compensation). */
  planned_lead_ms?: number;
  /** The ACK that carried the READY: what an outside observer of the bus sees. */
  ack_message_id?: string;
  /** That ACK's emulated uplink delay (per-agent links only): the observer subtracts it from its arrival. */
  uplink_delay_ms?: number;
  /**
   * When the emulated uplink handed that ACK to the sim's NATS connection (machine clock). The
   * stamp-to-wire delay splits here: before it is the sim's share (release to send, and the
   * link timer's lateness beyond uplink_delay_ms), after it the NATS client, server and observer.
   */
  uplink_out_true_ms?: number;
  /**
   * The instant that ACK's uplink delay ran from (machine clock): its send, dated as it would
   * have come on the agent's own device (a hold release's wait behind the other agents' sends
   * in the same process taken off). uplink_out_true_ms minus this and uplink_delay_ms is the
   * emulated link's own lateness, which a real link does not have.
   */
  uplink_in_true_ms?: number;
  /** Hold mode: how the release went, to tell the parts of its lateness apart. */
  hold?: HoldDiagnosis;
}

/** The simulated truth beside one release, for the benchmark's oracle row. */
export interface ArrivalTruth {
  scenario: string;
  processingMedianMs: number;
  oneWayMedianMs: number | undefined;
  /** This operation's processing draw and planned lead time, when the handler saw them. */
  draw: { processingMs: number; plannedLeadMs: number | undefined } | undefined;
}

export interface HoldDiagnosis {
  /** T on the agent's clock as scheduled; ready_local_ms minus this is the timer's own lateness. */
  deadline_local_ms: number;
  /** That deadline in the agent's mesh time at the release: minus T, how far the estimate moved while held. */
  deadline_mesh_ms: number;
  /** True when the ACK sent was the one signed before T. */
  prebuilt: boolean;
  /** True when the release came late and its ACK was signed again inside the release pass (absent in older records). */
  signed_at_release?: boolean;
  /** How late the timer that started the release pass woke (event loop or CPU), ms. */
  wake_late_ms?: number;
  /** Time from the pass's first stamp to this one (earlier releases of the pass), ms. */
  in_pass_ms?: number;
  /** Time from the stamp to this release's effect (the send), spent on other agents' effects of the same pass, ms. */
  effect_delay_ms?: number;
  /** The spin margin in force, ms. */
  margin_ms?: number;
  /** The busy-waited tail of the wait in force (the rest of the margin asleep), ms. */
  spin_tail_ms?: number;
  /** Time the sim's thread waited for a CPU between arming the release timer and the end of the pass, ms. */
  run_queue_ms?: number;
}

/** What the tap needs of a virtual agent's clocks. */
export interface TapClocks {
  /** Skewed local reading to true (base-clock) time; SkewedClock.toBase. */
  toTrue(localMs: number): number;
  /** Local reading to the agent's estimate of mesh time; AgentClock.toMesh. */
  toMesh(localMs: number): number;
}

export function arrivalRecord(agentId: string, event: ReadyEvent, clocks: TapClocks, truth?: ArrivalTruth, uplinkDelayMs?: number): ArrivalRecord {
  const readyTrue = clocks.toTrue(event.readyAtLocal);
  const draw = truth?.draw;
  const hold = event.hold;
  const release = hold?.release;
  return {
    agent_id: agentId,
    operation_id: event.operationId,
    mode: event.releaseMode,
    target_time: event.targetTime,
    ready_true_ms: readyTrue,
    ready_local_ms: event.readyAtLocal,
    true_offset_ms: event.readyAtLocal - readyTrue,
    offset_error_ms: clocks.toMesh(event.readyAtLocal) - readyTrue,
    finished_mesh_ms: clocks.toMesh(event.finishedAtLocal),
    ack_message_id: event.ackMessageId,
    ...(uplinkDelayMs === undefined || Number.isNaN(uplinkDelayMs) ? {} : { uplink_delay_ms: uplinkDelayMs }),
    ...(hold === undefined
      ? {}
      : {
          hold: {
            deadline_local_ms: hold.deadlineLocal,
            deadline_mesh_ms: clocks.toMesh(hold.deadlineLocal),
            prebuilt: hold.prebuilt,
            signed_at_release: hold.signedAtRelease,
            ...(release === undefined ? {} : { wake_late_ms: release.wakeLateMs, in_pass_ms: release.inPassMs, effect_delay_ms: release.effectDelayMs, margin_ms: release.marginMs, spin_tail_ms: release.spinTailMs }),
            ...(release?.runQueueMs === undefined ? {} : { run_queue_ms: release.runQueueMs }),
          },
        }),
    ...(truth === undefined
      ? {}
      : {
          processing_scenario: truth.scenario,
          true_processing_median_ms: truth.processingMedianMs,
          ...(truth.oneWayMedianMs === undefined ? {} : { true_one_way_median_ms: truth.oneWayMedianMs }),
          ...(draw === undefined ? {} : { processing_ms: draw.processingMs }),
          ...(draw?.plannedLeadMs === undefined ? {} : { planned_lead_ms: draw.plannedLeadMs }),
        }),
  };
}

/**
 * Appends records to a JSON-lines file through a write stream: a release must not wait for the
 * disk, since a synchronous write would delay the other agents' timers and so their arrivals.
 */
export class ArrivalLog {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  write(record: ArrivalRecord): void {
    this.stream.write(`${JSON.stringify(record)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
