/**
 * The console's exit statuses, chosen for monitoring (Nagios-like 0/1/2) plus the sysexits
 * codes for mistakes the operator must fix before trying again.
 */
export const EXIT = {
  /** Healthy, or the command did what was asked. */
  OK: 0,
  /** The mesh is degraded, or the lead refused or failed the command. */
  DEGRADED: 1,
  /** The lead is down, unreachable or failing (5xx). */
  DOWN: 2,
  /** EX_USAGE: a bad flag or argument. */
  USAGE: 64,
  /** EX_NOPERM: no credentials, unreadable key, or the lead refused them (401/403). */
  AUTH: 77,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type ConsoleErrorCode = 'USAGE' | 'AUTH' | 'DOWN' | 'REFUSED';

/** An error the console prints as one line, then exits with the code's status. */
export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
  constructor(
    readonly code: ConsoleErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get exitCode(): ExitCode {
    switch (this.code) {
      case 'USAGE':
        return EXIT.USAGE;
      case 'AUTH':
        return EXIT.AUTH;
      case 'DOWN':
        return EXIT.DOWN;
      case 'REFUSED':
        return EXIT.DEGRADED;
    }
  }
}
