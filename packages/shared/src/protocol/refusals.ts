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
