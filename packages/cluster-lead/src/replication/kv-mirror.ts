/**
 * The active lead's side: state changes already committed to SQLite are queued here and put
 * into their KV buckets in the background. The queue holds the latest value per key (a key that
 * changes twice before it is written is written once), at most `maxInFlight` puts wait on
 * JetStream at a time, and a failed put is tried again unless a newer value replaced it. Nothing
 * here blocks the caller: the hot path only adds to a map.
 */
import type { Logger } from '../lib/logger.js';
import type { Kind } from './buckets.js';
import { encodeEntry } from './entries.js';

/** The two KV calls the mirror makes (a nats.js KV has them). */
export interface KvWriter {
  put(key: string, value: Uint8Array): Promise<number>;
  delete(key: string): Promise<void>;
}

export interface MirrorDeps {
  readonly logger: Logger;
  /** Lead clock, for the entry's `at`. */
  readonly now: () => number;
  /** The lease epoch to stamp; with HA, null means the lease is not held and nothing is written. */
  readonly epoch: () => number | null;
  readonly ha: boolean;
}

export interface MirrorOptions {
  readonly maxInFlight?: number;
  /** Wait before a failed put is tried again, ms. */
  readonly retryMs?: number;
}

export interface MirrorStats {
  readonly puts: number;
  readonly deletes: number;
  readonly bytes: number;
  readonly failures: number;
  /** Changes dropped because this lead did not hold the lease when they were due. */
  readonly fenced: number;
  readonly pending: number;
}

const REMOVE = Symbol('remove');
interface Change {
  readonly kind: Kind;
  readonly key: string;
  readonly data: unknown;
}

export class KvMirror {
  private readonly pending = new Map<string, Change>();
  private buckets: Record<Kind, KvWriter> | undefined;
  private inFlight = 0;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  private counts = { puts: 0, deletes: 0, bytes: 0, failures: 0, fenced: 0 };
  private readonly maxInFlight: number;
  private readonly retryMs: number;

  constructor(
    private readonly deps: MirrorDeps,
    options: MirrorOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 256;
    this.retryMs = options.retryMs ?? 500;
  }

  /** Starts writing (this lead acts); changes queued before are dropped by the callers' design: none are queued while inactive. */
  activate(buckets: Record<Kind, KvWriter>): void {
    this.buckets = buckets;
  }

  get active(): boolean {
    return this.buckets !== undefined;
  }

  put(kind: Kind, key: string, data: unknown): void {
    this.queue({ kind, key, data });
  }

  remove(kind: Kind, key: string): void {
    this.queue({ kind, key, data: REMOVE });
  }

  stats(): MirrorStats {
    return { ...this.counts, pending: this.pending.size + this.inFlight };
  }

  /** Resolves once nothing is queued or in flight (tests, and the stop path). */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.buckets = undefined;
    this.pending.clear();
    this.wakeIdle();
  }

  private queue(change: Change): void {
    if (this.buckets === undefined) return;
    this.pending.set(`${change.kind}\u0000${change.key}`, change);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    const buckets = this.buckets;
    if (buckets === undefined) return;
    const epoch = this.deps.epoch();
    for (const [id, change] of this.pending) {
      if (this.inFlight >= this.maxInFlight) return;
      this.pending.delete(id);
      // A lead that lost its lease must not overwrite its successor's state.
      if (this.deps.ha && epoch === null) {
        this.counts.fenced++;
        continue;
      }
      this.inFlight++;
      this.write(buckets[change.kind], change, epoch)
        .catch((error: unknown) => {
          this.counts.failures++;
          this.deps.logger.warn({ err: error, kind: change.kind, key: change.key }, 'replication write failed; trying again');
          if (!this.pending.has(id)) this.pending.set(id, change);
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = undefined;
            this.schedule();
          }, this.retryMs);
        })
        .finally(() => {
          this.inFlight--;
          if (this.pending.size > 0 && this.retryTimer === undefined) this.schedule();
          this.wakeIdle();
        });
    }
    this.wakeIdle();
  }

  private async write(bucket: KvWriter, change: Change, epoch: number | null): Promise<void> {
    if (change.data === REMOVE) {
      await bucket.delete(change.key);
      this.counts.deletes++;
      return;
    }
    const bytes = encodeEntry(epoch, this.deps.now(), change.data);
    await bucket.put(change.key, bytes);
    this.counts.puts++;
    this.counts.bytes += bytes.length;
  }

  private wakeIdle(): void {
    if (this.pending.size > 0 || this.inFlight > 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
