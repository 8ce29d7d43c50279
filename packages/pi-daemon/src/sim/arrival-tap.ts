import { createWriteStream, type WriteStream } from 'node:fs';
import type { ReadyEvent } from '../coordination/engine.js';

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
}

/** What the tap needs of a virtual agent's clocks. */
export interface TapClocks {
  /** Skewed local reading to true (base-clock) time; SkewedClock.toBase. */
  toTrue(localMs: number): number;
  /** Local reading to the agent's estimate of mesh time; AgentClock.toMesh. */
  toMesh(localMs: number): number;
}

export function arrivalRecord(agentId: string, event: ReadyEvent, clocks: TapClocks): ArrivalRecord {
  const readyTrue = clocks.toTrue(event.readyAtLocal);
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
