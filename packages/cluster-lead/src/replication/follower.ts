/**
 * The standby's side: one KV watch per bucket delivers every key's last value, then each change
 * as it happens. Entries are checked (envelope, then the kind's schema: a broken one is counted
 * and skipped, never fatal), and applied to the local SQLite store in batches through an
 * Applier. caughtUp() tells when everything the buckets held at that moment is applied, which
 * is what a standby waits for before it takes over.
 */
import type { KvEntry, KV } from 'nats';
import type { Logger } from '../lib/logger.js';
import { KINDS, type Kind } from './buckets.js';
import { decodeEntry } from './entries.js';

export interface FollowedChange {
  readonly key: string;
  /** The validated state; undefined for a deleted key. */
  readonly data: unknown;
}

/** Writes followed changes into the local store (synchronously, one batch per call). */
export interface Applier {
  apply(kind: Kind, changes: readonly FollowedChange[]): void;
}

export interface FollowerStats {
  readonly applied: Readonly<Record<Kind, number>>;
  /** Entries refused (not JSON, bad envelope, state that fails its schema). */
  readonly rejected: Readonly<Record<Kind, number>>;
  /** Entries written by an older lease holder than the key's last one, ignored. */
  readonly stale: number;
}

type Watch = Awaited<ReturnType<KV['watch']>>;

export class KvFollower {
  private readonly watches: Watch[] = [];
  private readonly revision = zeroes();
  private readonly initialized = new Set<Kind>();
  private readonly applied = zeroes();
  private readonly rejected = zeroes();
  private readonly epochs = new Map<string, number>();
  private topEpoch = 0;
  private readonly batches = new Map<Kind, Map<string, FollowedChange>>();
  private stale = 0;
  private scheduled = false;
  private progressWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly buckets: Record<Kind, KV>,
    private readonly applier: Applier,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    for (const kind of KINDS) {
      const watch = await this.buckets[kind].watch({
        key: '>',
        initializedFn: () => {
          this.initialized.add(kind);
          this.wake();
        },
      });
      this.watches.push(watch);
      void (async () => {
        for await (const entry of watch) this.take(kind, entry);
      })().catch((error: unknown) => this.logger.error({ err: error, kind }, 'replication watch ended'));
    }
  }

  /**
   * Resolves once every bucket's entries up to its last revision as of this call are applied
   * (false when `timeoutMs` passed first: the caller goes on with what it has).
   */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    // One stream-info round trip per bucket, all at once: this is on the takeover's path.
    const statuses = await Promise.all(KINDS.map(async (kind) => [kind, await this.buckets[kind].status()] as const));
    const targets = new Map<Kind, { last: number; values: number }>(statuses.map(([kind, status]) => [kind, { last: status.streamInfo.state.last_seq, values: status.values }]));
    const done = (): boolean =>
      KINDS.every((kind) => {
        const target = targets.get(kind)!;
        return this.initialized.has(kind) && !this.batches.has(kind) && (this.revision[kind] >= target.last || target.values === 0);
      });
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.stopped) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.progressWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  stats(): FollowerStats {
    return { applied: { ...this.applied }, rejected: { ...this.rejected }, stale: this.stale };
  }

  /** The highest lease epoch stamped on an entry taken so far (0 when none). */
  highestEpoch(): number {
    return this.topEpoch;
  }

  /** Stops the watches after applying what they delivered. */
  stop(): void {
    this.flush();
    this.stopped = true;
    for (const watch of this.watches.splice(0)) watch.stop();
    this.wake();
  }

  private take(kind: Kind, entry: KvEntry): void {
    if (this.stopped) return;
    this.revision[kind] = Math.max(this.revision[kind], entry.revision);
    const id = `${kind}\u0000${entry.key}`;
    let change: FollowedChange | undefined;
    if (entry.operation !== 'PUT') {
      change = { key: entry.key, data: undefined };
    } else {
      const decoded = decodeEntry(kind, entry.key, entry.value);
      if (!decoded.ok) {
        this.rejected[kind]++;
        this.logger.warn({ kind, key: entry.key, revision: entry.revision, problem: decoded.problem }, 'replicated entry refused; skipped');
      } else if (decoded.epoch !== null && decoded.epoch < (this.epochs.get(id) ?? 0)) {
        // Written late by a lead that had already lost its lease to the writer of the value before.
        this.stale++;
      } else {
        if (decoded.epoch !== null) {
          this.epochs.set(id, decoded.epoch);
          this.topEpoch = Math.max(this.topEpoch, decoded.epoch);
        }
        change = { key: entry.key, data: decoded.data };
      }
    }
    if (change !== undefined) {
      let batch = this.batches.get(kind);
      if (batch === undefined) this.batches.set(kind, (batch = new Map<string, FollowedChange>()));
      batch.set(entry.key, change);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
      this.wake();
    });
  }

  private flush(): void {
    for (const [kind, batch] of this.batches) {
      this.batches.delete(kind);
      const changes = [...batch.values()];
      try {
        this.applier.apply(kind, changes);
        this.applied[kind] += changes.length;
      } catch (error) {
        this.logger.error({ err: error, kind, changes: changes.length }, 'could not apply replicated changes to the local store');
      }
    }
  }

  private wake(): void {
    for (const wake of this.progressWaiters.splice(0)) wake();
  }
}

function zeroes(): Record<Kind, number> {
  return Object.fromEntries(KINDS.map((kind) => [kind, 0])) as Record<Kind, number>;
}
