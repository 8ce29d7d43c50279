import { EX_CONFIG } from '../config/index.js';

/** Exit statuses of `mesh-agent` (sysexits.h where one fits). */
export const EXIT = {
  OK: 0,
  /** Bad command line: a wrong flag or a missing value. */
  USAGE: 2,
  /** A running daemon could not be reached (status). */
  UNAVAILABLE: 69,
  /** A bug: an unexpected error, printed with its stack. */
  SOFTWARE: 70,
  /** A file could not be written (keygen). */
  CANT_CREATE: 73,
  /** data_dir is not writable by the service user: an operator's fix, so systemd must not restart. */
  NOPERM: 77,
  /** Configuration (file, environment or key material) is invalid: do not restart. */
  CONFIG: EX_CONFIG,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
