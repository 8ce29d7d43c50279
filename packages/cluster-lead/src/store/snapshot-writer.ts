import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Clock } from '@mesh30k/shared';
import { describeError } from '../lib/errors.js';
import { LEAD_EVENTS, type EventBus } from '../lib/events.js';
import type { Logger } from '../lib/logger.js';
import type { PersistedAgent } from '../registry/index.js';
import type { AgentSnapshotStore } from './agent-snapshots.js';

export interface SnapshotWriterDeps {
  store: AgentSnapshotStore;
  /** The persisted form of an agent now (undefined if it is gone). */
  read: (agentId: string) => PersistedAgent | undefined;
  clock: Clock;
  events: EventBus;
  logger: Logger;
}

export interface SnapshotWriterOptions {
  intervalMs: number;
  batchSize: number;
}

/** Whether snapshots reach the database: readiness and /metrics read it. */
export interface SnapshotHealth {
  /** Failed passes since start. */
  readonly failures: number;
  /** Since when every pass has failed (lead clock); null while the last one succeeded. */
  readonly failingSince: number | null;
  readonly lastError: string | null;
}

/**
 * Writes changed agents to SQLite on one timer, in batches of `batchSize` per transaction
 * with a turn of the event loop between batches: SD cards wear out with a write per
 * heartbeat, and one transaction for 30,000 agents would stall heartbeat replies.
 */
export class SnapshotWriter {
  private dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private failures = 0;
  private failingSince: number | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly deps: SnapshotWriterDeps,
    private readonly options: SnapshotWriterOptions,
  ) {}

  markDirty(agentId: string): void {
    this.dirty.add(agentId);
  }

  get pending(): number {
    return this.dirty.size;
  }

  health(): SnapshotHealth {
    return { failures: this.failures, failingSince: this.failingSince, lastError: this.lastError };
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.flush().catch((error: unknown) => this.deps.logger.error({ err: error }, 'registry snapshot failed'));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Writes everything dirty now; concurrent calls share one pass, then run again if needed. */
  async flush(): Promise<number> {
    while (this.running !== undefined) await this.running.catch(() => undefined);
    this.running = this.writeDirty();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async writeDirty(): Promise<number> {
    const ids = [...this.dirty];
    this.dirty = new Set();
    const started = performance.now();
    let written = 0;
    try {
      for (let i = 0; i < ids.length; i += this.options.batchSize) {
        const batch: PersistedAgent[] = [];
        for (const id of ids.slice(i, i + this.options.batchSize)) {
          const agent = this.deps.read(id);
          if (agent !== undefined) batch.push(agent);
        }
        this.deps.store.write(batch, this.deps.clock.now());
        written += batch.length;
        if (i + this.options.batchSize < ids.length) await yieldToLoop();
      }
    } catch (error) {
      // Not lost: what was not written is marked dirty again for the next pass.
      for (const id of ids) this.dirty.add(id);
      this.failures++;
      this.failingSince ??= this.deps.clock.now();
      this.lastError = describeError(error);
      throw error;
    }
    if (ids.length > 0) {
      this.failingSince = null;
      this.lastError = null;
    }
    if (written > 0) {
      this.deps.events.emit({ name: LEAD_EVENTS.snapshotWritten, at: this.deps.clock.now(), agents: written, elapsedMs: performance.now() - started });
    }
    return written;
  }
}
