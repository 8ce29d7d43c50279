import { journaldDestination, type LineSink } from '@mesh30k/shared/node';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

const STDOUT_FD = 1;

/**
 * pino JSON on stdout (or the destination given, for tests), one root per process with
 * `lead_id` and `lead_cluster_id` on every line; domains take child loggers. Under journald
 * each line starts with its syslog priority (`<3>` for error...), as the agent's do, so
 * `journalctl -u mesh-lead -p warning` finds what matters.
 */
export function createLogger(options: {
  level: LevelWithSilent;
  leadId: string;
  clusterId: string;
  destination?: LineSink;
  /** Prefix lines for journald; 'auto' (default): when stdout is the journal stream named in `env`. */
  journald?: boolean | 'auto';
  env?: Readonly<Record<string, string | undefined>>;
}): Logger {
  // The lead's own cluster under its own name, so an agent event's cluster_id never collides with it.
  const base = { lead_id: options.leadId, lead_cluster_id: options.clusterId };
  const settings = { level: options.level, base, timestamp: pino.stdTimeFunctions.isoTime };
  const inner: LineSink = options.destination ?? pino.destination({ fd: STDOUT_FD, sync: true });
  return pino(settings, journaldDestination(inner, options.journald ?? 'auto', options.env ?? process.env));
}

/** A logger that writes nothing, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
