/**
 * journald priorities for pino lines, for every Node process of the mesh (agent and lead).
 * When stdout is a journald stream, systemd reads a leading `<N>` on each line as that line's
 * syslog priority and strips it (the unit's SyslogLevelPrefix=, true by default). So under
 * journald each JSON line is prefixed with the priority of its pino level, and
 * `journalctl -p err` finds errors. Anywhere else (a terminal, a pipe, a test) lines stay
 * plain JSON. No pino import: the destination speaks pino's metadata protocol by its symbol.
 */
import { fstatSync } from 'node:fs';

/** syslog(3) priorities, as sd-daemon(3) defines the prefixes. */
export const SYSLOG_PRIORITY = {
  crit: 2,
  err: 3,
  warning: 4,
  info: 6,
  debug: 7,
} as const;

/** pino's numeric levels. */
const PINO_FATAL = 60;
const PINO_ERROR = 50;
const PINO_WARN = 40;
const PINO_INFO = 30;

export function syslogPriority(pinoLevel: number): number {
  if (pinoLevel >= PINO_FATAL) return SYSLOG_PRIORITY.crit;
  if (pinoLevel >= PINO_ERROR) return SYSLOG_PRIORITY.err;
  if (pinoLevel >= PINO_WARN) return SYSLOG_PRIORITY.warning;
  if (pinoLevel >= PINO_INFO) return SYSLOG_PRIORITY.info;
  return SYSLOG_PRIORITY.debug;
}

/**
 * True when file descriptor `fd` is the stream journald connected: JOURNAL_STREAM holds
 * `<device>:<inode>` of that socket (systemd.exec(5)). Comparing them, rather than only
 * checking that the variable is set, keeps prefixes out of a pipe the daemon was redirected
 * into, which inherits the variable but is not the journal.
 */
export function isJournalStream(env: Readonly<Record<string, string | undefined>>, fd = 1): boolean {
  const value = env.JOURNAL_STREAM;
  if (value === undefined) return false;
  const [device, inode] = value.split(':');
  if (device === undefined || inode === undefined) return false;
  try {
    const info = fstatSync(fd, { bigint: true });
    return info.dev.toString() === device && info.ino.toString() === inode;
  } catch {
    return false;
  }
}

/** pino's `symbols.needsMetadataGsym`: a destination carrying it is told each line's level first. */
const PINO_METADATA = Symbol.for('pino.metadata');

/** Anything pino can write lines to. */
export interface LineSink {
  write(line: string): unknown;
}

/**
 * A pino destination that learns each line's level from pino (the `pino.metadata` protocol
 * that multistream uses) and writes `<N>` before the JSON.
 */
export class JournaldPrefixStream implements LineSink {
  readonly [PINO_METADATA] = true as const;
  /** Set by pino before each write. */
  lastLevel = 0;

  constructor(private readonly inner: LineSink) {}

  write(line: string): void {
    this.inner.write(`<${syslogPriority(this.lastLevel)}>${line}`);
  }
}

/** `inner` prefixed for journald when `journald` says so ('auto': when stdout is the journal stream named in `env`). */
export function journaldDestination<T extends LineSink>(inner: T, journald: boolean | 'auto', env: Readonly<Record<string, string | undefined>>): T | JournaldPrefixStream {
  const on = journald === 'auto' ? isJournalStream(env, STDOUT_FD) : journald;
  return on ? new JournaldPrefixStream(inner) : inner;
}

const STDOUT_FD = 1;
