import { JournaldPrefixStream, isJournalStream } from '@mesh30k/shared/node';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/**
 * pino JSON on stdout (or the destination given, for tests), one root per process with
 * `lead_id` and `lead_cluster_id` on every line; domains take child loggers. When stdout is
 * the journal (JOURNAL_STREAM in `env` names it), each line starts with its syslog priority,
 * so `journalctl -p warning -u mesh-lead` works.
 */
export function createLogger(options: {
  level: LevelWithSilent;
  leadId: string;
  clusterId: string;
  destination?: NodeJS.WritableStream;
  env?: Readonly<Record<string, string | undefined>>;
}): Logger {
  // The lead's own cluster under its own name, so an agent event's cluster_id never collides with it.
  const base = { lead_id: options.leadId, lead_cluster_id: options.clusterId };
  const settings = { level: options.level, base, timestamp: pino.stdTimeFunctions.isoTime };
  if (options.destination !== undefined) return pino(settings, options.destination);
  if (options.env !== undefined && isJournalStream(options.env)) return pino(settings, new JournaldPrefixStream(pino.destination({ fd: 1, sync: true })));
  return pino(settings);
}

/** A logger that writes nothing, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
