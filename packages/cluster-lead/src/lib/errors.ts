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
  | 'STORE_DAMAGED'
  | 'STORE_MIGRATION'
  | 'PORT_IN_USE'
  | 'LISTEN_DENIED'
  | 'STOP_FAILED'
  | 'USAGE'
  | 'LEASE_LOST'
  | 'INTERNAL';

export class LeadError extends Error {
  override readonly name = 'LeadError';
  readonly code: LeadErrorCode;

  constructor(code: LeadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/**
 * sysexits(3). deploy/lead/mesh-lead.service lists USAGE, DATA and CONFIG in
 * RestartPreventExitStatus: a restart cannot fix a bad config or a damaged database, only the
 * operator can. TEMPFAIL (the HTTP port is taken) may clear by itself, so systemd retries it.
 */
export const EXIT = Object.freeze({
  OK: 0,
  FAILURE: 1,
  USAGE: 64,
  /** A bad enrollment request (enroll), or a damaged database (run). */
  DATA: 65,
  TEMPFAIL: 75,
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
    case 'LISTEN_DENIED':
      return EXIT.CONFIG;
    case 'PORT_IN_USE':
    case 'LEASE_LOST':
      return EXIT.TEMPFAIL;
    case 'USAGE':
      return EXIT.USAGE;
    case 'ENROLLMENT_INVALID':
    case 'STORE_DAMAGED':
      return EXIT.DATA;
    case 'STORE_FAILED':
    case 'STORE_MIGRATION':
    case 'STOP_FAILED':
    case 'INTERNAL':
      return EXIT.FAILURE;
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
