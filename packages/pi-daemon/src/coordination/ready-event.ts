import type { Coordinate } from '@mesh30k/shared';
import type { ReleaseInfo } from '../clock/precise-timer.js';
import type { WorkItem } from './work-item.js';

/**
 * One READY release: which operation, and the instant stamped on the agent's own clock. Given
 * as soon as the ACK was handed to the bus (inside the release pass in hold mode): a listener
 * must only take what it needs and defer the rest.
 */
export interface ReadyEvent {
  operationId: string;
  releaseMode: Coordinate['release_mode'];
  /** T as the COORDINATE gave it, in mesh time. */
  targetTime: number;
  readyAtLocal: number;
  /** When the handler's processing ended, on the agent's clock: after T in hold mode means T came too early. */
  finishedAtLocal: number;
  /** The ACK that carried it. */
  ackMessageId: string;
  /**
   * Hold mode: T on the agent's clock as scheduled; whether the ACK sent was the one signed
   * before T, or one signed inside the release with its real instant (it came late).
   */
  hold?: { deadlineLocal: number; prebuilt: boolean; signedAtRelease: boolean; release: ReleaseInfo | undefined };
}

/** The event of `item`'s READY, carried by the ACK `ackMessageId`. */
export function readyEvent(item: WorkItem, readyAtLocal: number, ackMessageId: string, signed: { prebuilt: boolean; signedAtRelease: boolean }, info: ReleaseInfo | undefined): ReadyEvent {
  const { coordinate } = item;
  return {
    operationId: coordinate.operation_id,
    releaseMode: coordinate.release_mode,
    targetTime: coordinate.target_time,
    readyAtLocal,
    finishedAtLocal: item.receivedAtLocal + item.processingMs,
    ackMessageId,
    ...(item.deadlineLocal === undefined ? {} : { hold: { deadlineLocal: item.deadlineLocal, ...signed, release: info } }),
  };
}
