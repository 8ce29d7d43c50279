/**
 * pino JSON on stdout, written synchronously: no worker-thread transport, whose buffered
 * last lines die with a crashing process, and no async destination that a fatal exit cuts
 * short. Under journald each line carries its syslog priority (shared's node/journald.ts).
 */
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LogLevel } from '../config/index.js';
import { journaldDestination } from '@mesh30k/shared/node';

export type { Logger } from 'pino';

/** Ids that go on every line of a logger and its children (agent_id, cluster_id, ...). */
export type LogIds = Readonly<Record<string, string | number>>;

export interface LoggerOptions {
  level: LogLevel;
  /** Ids on every line. */
  base?: LogIds;
  /** Where lines go; stdout (fd 1, synchronous) when absent. */
  destination?: DestinationStream;
  /**
   * Prefix lines with `<priority>` for journald. 'auto' (the default) turns it on when stdout
   * is the journal stream named by JOURNAL_STREAM in `env`.
   */
  journald?: boolean | 'auto';
  env?: Readonly<Record<string, string | undefined>>;
}

const STDOUT_FD = 1;

export function createLogger(options: LoggerOptions): Logger {
  const inner = options.destination ?? pino.destination({ fd: STDOUT_FD, sync: true });
  return pino(
    {
      level: options.level,
      base: { ...options.base },
      // Labels ("error"), not numbers, so a human reading `journalctl -o cat` needs no table.
      formatters: { level: (label) => ({ level: label }) },
    },
    journaldDestination(inner, options.journald ?? 'auto', options.env ?? process.env),
  );
}

/** A child logger for one domain (`outbox`, `health`, ...), with any extra ids. */
export function domainLogger(parent: Logger, domain: string, ids: LogIds = {}): Logger {
  return parent.child({ domain, ...ids });
}
