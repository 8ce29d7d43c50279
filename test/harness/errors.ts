// One error type for the harness; tests and callers branch on `code`, never on message text.
export type HarnessErrorCode =
  | 'NATS_NOT_FOUND'
  | 'NATS_EXITED'
  | 'NATS_PORT_IN_USE'
  | 'NATS_START_TIMEOUT'
  | 'NATS_PLACEMENT_TIMEOUT'
  | 'NATS_DISPOSED'
  | 'INVALID_PROFILE';

export class HarnessError extends Error {
  override readonly name = 'HarnessError';

  constructor(
    readonly code: HarnessErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
