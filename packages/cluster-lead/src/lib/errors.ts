/**
 * The one error type of the lead. Callers switch on `code`, never on the message text.
 * Operator mistakes (a bad config, an unreadable key file) carry a code with an exit status;
 * anything else is a bug and is reported with its stack.
 */
export type LeadErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'KEY_UNREADABLE'
  | 'ENROLLMENTS_UNREADABLE'
  | 'ENROLLMENT_INVALID'
  | 'STORE_FAILED'
  | 'STORE_MIGRATION'
  | 'USAGE'
  | 'INTERNAL';

export class LeadError extends Error {
  override readonly name = 'LeadError';
  readonly code: LeadErrorCode;

  constructor(code: LeadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** sysexits(3): systemd units list these in RestartPreventExitStatus so a bad config does not loop. */
export const EXIT = Object.freeze({
  OK: 0,
  FAILURE: 1,
  USAGE: 64,
  DATA: 65,
  CONFIG: 78,
} as const);

/** The exit status for an error that stopped the process. */
export function exitCodeFor(error: unknown): number {
  if (!(error instanceof LeadError)) return EXIT.FAILURE;
  switch (error.code) {
    case 'CONFIG_INVALID':
    case 'CONFIG_UNREADABLE':
    case 'KEY_UNREADABLE':
    case 'ENROLLMENTS_UNREADABLE':
      return EXIT.CONFIG;
    case 'USAGE':
      return EXIT.USAGE;
    case 'ENROLLMENT_INVALID':
      return EXIT.DATA;
    case 'STORE_FAILED':
    case 'STORE_MIGRATION':
    case 'INTERNAL':
      return EXIT.FAILURE;
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
