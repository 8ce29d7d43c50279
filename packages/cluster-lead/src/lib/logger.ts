import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/**
 * pino JSON on stdout (or the destination given, for tests), one root per process with
 * `lead_id` and `lead_cluster_id` on every line; domains take child loggers.
 */
export function createLogger(options: {
  level: LevelWithSilent;
  leadId: string;
  clusterId: string;
  destination?: NodeJS.WritableStream;
}): Logger {
  // The lead's own cluster under its own name, so an agent event's cluster_id never collides with it.
  const base = { lead_id: options.leadId, lead_cluster_id: options.clusterId };
  const settings = { level: options.level, base, timestamp: pino.stdTimeFunctions.isoTime };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** A logger that writes nothing, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
