/** Why a bus operation failed; callers switch on the code (an unconfirmed ACK goes to the outbox). */
export type BusErrorCode =
  /** Not connected now: nothing was handed to the client, so nothing rides its reconnect buffer. */
  | 'NOT_CONNECTED'
  /** No reply within the timeout; the request may or may not have been processed. */
  | 'TIMEOUT'
  /** The server knows no subscriber for the subject (nobody is serving it now). */
  | 'NO_RESPONDERS'
  /** The supervisor is shutting down or has stopped. */
  | 'CLOSED'
  /** Anything else the client reported. */
  | 'FAILED';

export class BusError extends Error {
  override readonly name = 'BusError';
  constructor(
    readonly code: BusErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

export function isBusError(error: unknown): error is BusError {
  return error instanceof BusError;
}
