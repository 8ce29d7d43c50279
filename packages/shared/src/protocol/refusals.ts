/**
 * Refusal codes a receiver answers besides the wire codes of MeshErrorCode, and which of all
 * of them are permanent: no retry of the same message can be accepted, so a sender's outbox
 * moves it to its dead letters instead of trying again. Every other code is temporary.
 */
export const REFUSAL = {
  /** An ACK for an operation the lead does not know (never ran here, or forgotten since). */
  UNKNOWN_OPERATION: 'UNKNOWN_OPERATION',
  /** An ACK for an operation the lead finished and keeps only in its history. */
  LATE: 'LATE',
  /** A heartbeat whose (boot_id, seq) is not newer than the last accepted one. */
  STALE_SEQUENCE: 'STALE_SEQUENCE',
  /** A heartbeat of a boot the lead has already seen superseded. */
  OLD_BOOT: 'OLD_BOOT',
  /** A heartbeat of an unknown boot that does not move the sequence forward and is not fresh. */
  STALE_BOOT: 'STALE_BOOT',
  /**
   * An ACK's refusal (TRANSIT) of `act` by an agent that drives no outputs (a Worker, a Pi
   * without a sensors module): nothing was switched, so it is not READY.
   */
  NO_OUTPUTS: 'NO_OUTPUTS',
  /**
   * A session-tagged heartbeat whose session the lead does not hold (restarted, expired, or
   * dropped on revocation): answered unsigned; the agent re-handshakes after a random delay.
   */
  SESSION_UNKNOWN: 'SESSION_UNKNOWN',
  /** A session-tagged heartbeat whose tag does not match its bytes under the session's key. */
  BAD_TAG: 'BAD_TAG',
} as const;
export type RefusalCodeName = (typeof REFUSAL)[keyof typeof REFUSAL];

const PERMANENT: ReadonlySet<string> = new Set([
  'INVALID_FIELDS',
  'WRONG_VERSION',
  'UNKNOWN_KIND',
  'MALFORMED_JSON',
  'NOT_UTF8',
  'OVERSIZED',
  'SIGNER_MISMATCH',
  'NOT_A_TARGET',
  'COORDINATE_MISMATCH',
  REFUSAL.UNKNOWN_OPERATION,
  REFUSAL.LATE,
]);

/**
 * True when retrying the message cannot help. Signature and enrollment refusals are temporary:
 * the outbox signs every try afresh, and a lead may not have a rotated key or enrollment yet.
 */
export function isPermanentRefusal(code: string): boolean {
  return PERMANENT.has(code);
}

/**
 * Reason codes of a TRANSIT ACK (with `refusal`) by which an agent refuses an authentic
 * COORDINATE it cannot run: the lead sent work the agent cannot take, which is not the
 * agent's fault, so the lead docks no health and counts no breaker failure for it.
 */
export const TRANSIT_REFUSAL = {
  /** The frame is over the agent's frame limit (or otherwise beyond what it accepts). */
  FRAME_REFUSED: 'FRAME_REFUSED',
  /** The agent has no handler for the verb. */
  VERB_UNSUPPORTED: 'VERB_UNSUPPORTED',
  /** The payload fails the verb's schema. */
  PAYLOAD_INVALID: 'PAYLOAD_INVALID',
} as const;
export type TransitRefusalCode = (typeof TRANSIT_REFUSAL)[keyof typeof TRANSIT_REFUSAL];

const TRANSIT_REFUSALS: ReadonlySet<string> = new Set(Object.values(TRANSIT_REFUSAL));

/** True for a refusal that says the work could not be run here, not that the agent failed. */
export function isTransitRefusal(code: string): boolean {
  return TRANSIT_REFUSALS.has(code);
}
