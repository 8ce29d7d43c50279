/**
 * Why the engine refused an operation. Callers switch on `code`, never on the text. The codes of
 * shared's degradation gate (admitOperation) pass through unchanged.
 */
import type { RefusalCode } from '@mesh30k/shared';

export type ScatterRefusalCode =
  | RefusalCode
  /** Too many operations in flight and the queue is full. */
  | 'SATURATED'
  /** Queued for longer than the queue allows without getting a slot (or a better mode). */
  | 'QUEUE_TIMEOUT'
  /** The request does not validate against the operation schema. */
  | 'INVALID_OPERATION'
  /** The requested T is not finite, is in the past, or is too far ahead. */
  | 'INVALID_TARGET_TIME'
  /** The engine was stopped before the operation could run. */
  | 'ENGINE_STOPPED';

export interface ScatterRefusal {
  readonly code: ScatterRefusalCode;
  readonly reason: string;
  /** Dotted path of the offending field, for INVALID_OPERATION and INVALID_TARGET_TIME. */
  readonly path?: string;
}
