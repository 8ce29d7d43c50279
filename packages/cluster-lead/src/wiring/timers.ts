/** The lead's periodic work: liveness sweeps, breaker checks, dead-letter retention and snapshots. */
import type { LeadConfig } from '../config/index.js';
import type { Logger } from '../lib/logger.js';
import type { SnapshotWriter } from '../store/index.js';

export interface LeadTimersDeps {
  readonly config: LeadConfig;
  readonly logger: Logger;
  readonly sweep: () => Promise<unknown>;
  readonly checkBreakers: () => Promise<void>;
  readonly pruneDeadLetters: () => void;
  readonly snapshot: SnapshotWriter;
}

/** Starts every timer (unref'd: none keeps the process alive); the result stops them all. */
export function startLeadTimers({ config, logger, sweep, checkBreakers, pruneDeadLetters, snapshot }: LeadTimersDeps): () => void {
  const every = (ms: number, name: string, run: () => unknown): NodeJS.Timeout => {
    const timer = setInterval(() => {
      Promise.resolve()
        .then(run)
        .catch((error: unknown) => logger.error({ err: error, timer: name }, `${name} failed`));
    }, ms);
    timer.unref();
    return timer;
  };
  const timers = [
    every(config.registry.sweep_interval_ms, 'liveness sweep', sweep),
    every(config.breakers.check_interval_ms, 'breaker check', checkBreakers),
    every(config.dead_letters.prune_interval_ms, 'dead-letter retention', pruneDeadLetters),
  ];
  snapshot.start();
  return () => {
    for (const timer of timers) clearInterval(timer);
    snapshot.stop();
  };
}
