import type { Coordinate } from '@mesh30k/shared';
import type { ReleaseHandle } from '../clock/precise-timer.js';
import type { PreparedAck } from './ack-sender.js';

/** One accepted COORDINATE on its way from the queue to its ACK. */
export interface WorkItem {
  coordinate: Coordinate;
  receivedAtLocal: number;
  state: 'queued' | 'running' | 'held' | 'done';
  processingMs: number;
  release: ReleaseHandle | undefined;
  result: unknown;
  cacheHit: boolean;
  /** The handler's work due at the release instant (hold mode). */
  atRelease: (() => Promise<void>) | undefined;
  /** Hold mode: T on the agent's clock, fixed when the release was scheduled. */
  deadlineLocal: number | undefined;
  /** Hold mode: the READY built and signed before T, sent at T. */
  prepared: PreparedAck | undefined;
  /** Hold mode: the release has started (its effect ran, or is running). */
  released: boolean;
}

export function newWorkItem(coordinate: Coordinate, receivedAtLocal: number): WorkItem {
  return {
    coordinate,
    receivedAtLocal,
    state: 'queued',
    processingMs: 0,
    release: undefined,
    result: undefined,
    cacheHit: false,
    atRelease: undefined,
    deadlineLocal: undefined,
    prepared: undefined,
    released: false,
  };
}
