/**
 * Why the engine refused an operation. Callers switch on `code`, never on the text. The codes of
 * shared's degradation gate (admitOperation) pass through unchanged.
 */
import type { PayloadLimit, RefusalCode } from '@mesh30k/shared';

export type ScatterRefusalCode =
  | RefusalCode
  /** Too many operations in flight and the queue is full. */
  | 'SATURATED'
  /** Queued for longer than the queue allows without getting a slot (or a better mode). */
  | 'QUEUE_TIMEOUT'
  /** The request does not validate against the operation schema. */
  | 'INVALID_OPERATION'
  /** The payload is over the wire limit (shared's WIRE_LIMITS.maxPayloadBytes): its COORDINATE would not fit a frame. */
  | 'PAYLOAD_TOO_LARGE'
  /** The requested T is not finite, is in the past, or is too far ahead. */
  | 'INVALID_TARGET_TIME'
  /** The engine was stopped before the operation could run. */
  | 'ENGINE_STOPPED';

export interface ScatterRefusal {
  readonly code: ScatterRefusalCode;
  readonly reason: string;
  /** Dotted path of the offending field, for INVALID_OPERATION, PAYLOAD_TOO_LARGE and INVALID_TARGET_TIME. */
  readonly path?: string;
  /** Which wire limit of the payload was hit (shared's checkPayload), for the lead's limit counters. */
  readonly limit?: PayloadLimit;
}
