/**
 * Retention for the append-only conflict log: on a timer, off the hot path, the oldest rows
 * beyond `maxRows` or older than `maxAgeMs` are removed in small batches, with a turn of the
 * event loop between batches so heartbeats and ACKs never wait behind a long delete.
 */
import type { Clock } from '@mesh30k/shared';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LimitCounters } from '../lib/limit-counters.js';
import type { Logger } from '../lib/logger.js';
import type { ConflictLog } from '../store/index.js';

export interface ConflictRetentionOptions {
  readonly maxRows: number;
  readonly maxAgeMs: number;
  readonly intervalMs: number;
  readonly batch: number;
}

export interface ConflictRetentionDeps {
  readonly clock: Clock;
  readonly log: ConflictLog;
  readonly logger: Logger;
  readonly limits?: LimitCounters;
}

export class ConflictRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly deps: ConflictRetentionDeps,
    private readonly options: ConflictRetentionOptions,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.run(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass (at most one at a time): resolves with how many rows went. */
  run(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    const { clock, log, logger, limits } = this.deps;
    const { maxRows, maxAgeMs, batch } = this.options;
    let removed = 0;
    try {
      for (;;) {
        const n = log.prune({ maxRows, olderThan: clock.now() - maxAgeMs, batch });
        removed += n;
        if (n < batch) break;
        await nextTurn();
      }
    } catch (error) {
      logger.error({ event: 'conflict.retention-failed', err: error }, 'conflict log retention failed; retried at the next interval');
    }
    if (removed > 0) {
      limits?.hit('conflict_retention', removed);
      logger.info({ event: 'conflict.retention', removed, max_rows: maxRows, max_age_ms: maxAgeMs }, `conflict log retention removed ${removed} rows`);
    }
    return removed;
  }
}
