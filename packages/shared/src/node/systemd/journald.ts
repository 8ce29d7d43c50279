/**
 * journald priorities for pino lines. When stdout is a journald stream, systemd reads a
 * leading `<N>` on each line as that line's syslog priority and strips it (the unit's
 * SyslogLevelPrefix=, true by default). So under journald each JSON line is prefixed with the
 * priority of its pino level, and `journalctl -p err` finds errors. Anywhere else (a terminal,
 * a pipe, a test) lines stay plain JSON.
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

/** pino's metadata protocol: a destination with this symbol set gets lastLevel before each write. */
const PINO_METADATA: unique symbol = Symbol.for('pino.metadata') as never;

/** A pino destination (structurally: pino is not a dependency here) that prefixes each line. */
interface LineSink {
  write(line: string): unknown;
}

/**
 * A pino destination that learns each line's level from pino (the `pino.metadata` protocol,
 * `Symbol.for('pino.metadata')`, that multistream uses) and writes `<N>` before the JSON.
 */
export class JournaldPrefixStream {
  readonly [PINO_METADATA] = true;
  lastLevel = 0;
  lastTime = '';
  lastMsg = '';
  lastObj: object = {};
  lastLogger: unknown;

  constructor(private readonly inner: LineSink) {}

  write(line: string): void {
    this.inner.write(`<${syslogPriority(this.lastLevel)}>${line}`);
  }
}
