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
  /**
   * Told of each batch's agents that were dirty (a real change, not only "seen") once the batch
   * is committed: replication mirrors those, never what only a heartbeat moved.
   */
  onDirtyWritten?: (agents: readonly PersistedAgent[]) => void;
}

export interface SnapshotWriterOptions {
  intervalMs: number;
  /** Most agents per transaction. */
  batchSize: number;
  /**
   * Agents whose only change is what every heartbeat moves (last seen, sequence, latency, clock
   * estimate) are written at most this often; a change of state, flags, identity or boot is
   * written on the next pass. Default: every pass.
   */
  seenIntervalMs?: number;
  /** Longest the writer holds the event loop before it yields a turn, ms (default 4). */
  sliceMs?: number;
  /** performance.now(), or a test's clock for slices. */
  now?: () => number;
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
 * Writes changed agents to SQLite on one timer, in slices: each slice serialises and writes
 * agents (at most `batchSize` per transaction) until `sliceMs` have passed, then gives the
 * event loop a turn, so 30,000 agents never stall heartbeat replies. SD cards wear out with a
 * write per heartbeat, and most heartbeats change nothing but last-seen numbers: those agents
 * are only "seen", written every `seenIntervalMs`; a real change marks an agent dirty, written
 * on the next pass. An agent is taken off its set before it is read, so a change made while a
 * pass runs marks it again and the next pass writes it; a failed write puts back everything
 * it had not yet written.
 */
export class SnapshotWriter {
  private dirty = new Set<string>();
  private seen = new Set<string>();
  private lastSeenPass: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private failures = 0;
  private failingSince: number | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly deps: SnapshotWriterDeps,
    private readonly options: SnapshotWriterOptions,
  ) {
    this.lastSeenPass = deps.clock.now();
  }

  /** The agent's persisted state changed (state, flags, identity, boot): written on the next pass. */
  markDirty(agentId: string): void {
    this.dirty.add(agentId);
    this.seen.delete(agentId);
  }

  /** Only the numbers every heartbeat moves changed: written lazily. */
  markSeen(agentId: string): void {
    if (!this.dirty.has(agentId)) this.seen.add(agentId);
  }

  /** Agents with a change not yet written (dirty or seen). */
  get pending(): number {
    return this.dirty.size + this.seen.size;
  }

  /** Agents with a real change not yet written. */
  get pendingDirty(): number {
    return this.dirty.size;
  }

  health(): SnapshotHealth {
    return { failures: this.failures, failingSince: this.failingSince, lastError: this.lastError };
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.tick().catch((error: unknown) => this.deps.logger.error({ err: error }, 'registry snapshot failed'));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Writes every change now, seen ones too (shutdown, mode reactions); concurrent calls share one pass, then run again if needed. */
  flush(): Promise<number> {
    return this.pass(true);
  }

  /** The timer's pass: dirty agents, and the seen ones once `seenIntervalMs` has passed. */
  tick(): Promise<number> {
    return this.pass(this.deps.clock.now() - this.lastSeenPass >= (this.options.seenIntervalMs ?? 0));
  }

  private async pass(withSeen: boolean): Promise<number> {
    while (this.running !== undefined) await this.running.catch(() => undefined);
    this.running = this.write(withSeen);
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async write(withSeen: boolean): Promise<number> {
    const ids = [...this.dirty];
    const dirtyCount = ids.length;
    this.dirty = new Set();
    if (withSeen) {
      for (const id of this.seen) ids.push(id);
      this.seen = new Set();
      this.lastSeenPass = this.deps.clock.now();
    }
    const started = performance.now();
    const now = this.options.now ?? (() => performance.now());
    const sliceMs = this.options.sliceMs ?? 4;
    let written = 0;
    let next = 0;
    try {
      while (next < ids.length) {
        const sliceStart = now();
        do {
          const batch: PersistedAgent[] = [];
          // Of this batch, how many lead it as dirty ids (the dirty ones come first in `ids`).
          let dirtyInBatch = 0;
          const end = Math.min(ids.length, next + this.options.batchSize);
          for (; next < end; next++) {
            const agent = this.deps.read(ids[next]!);
            if (agent !== undefined) {
              batch.push(agent);
              if (next < dirtyCount) dirtyInBatch++;
            }
            if (now() - sliceStart >= sliceMs) {
              next++;
              break;
            }
          }
          this.deps.store.write(batch, this.deps.clock.now());
          written += batch.length;
          if (dirtyInBatch > 0) this.deps.onDirtyWritten?.(batch.slice(0, dirtyInBatch));
        } while (next < ids.length && now() - sliceStart < sliceMs);
        if (next < ids.length) await yieldToLoop();
      }
    } catch (error) {
      // Not lost: this batch and everything after it is marked dirty again for the next pass
      // (those already written are written again: harmless).
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
