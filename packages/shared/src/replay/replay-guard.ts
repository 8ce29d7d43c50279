import type { Clock } from '../lib/clock.js';
import { MeshError, err, ok } from '../lib/errors.js';
import type { Result } from '../lib/errors.js';

/** How long a message may be acted on after created_at; ids are remembered this long (plus skew). */
export const DEFAULT_REPLAY_TTL_MS = 30_000;
/** Clock disagreement tolerated between sender and receiver, in both directions. */
export const DEFAULT_REPLAY_SKEW_MS = 2_000;
/** Ids remembered at most: about 3,000 messages a second over the default window. */
export const DEFAULT_REPLAY_MAX_ENTRIES = 100_000;
/** Longer ids are refused, so that maxEntries bounds memory in bytes as well as in entries. */
export const MAX_REPLAY_ID_LENGTH = 256;

/** Time buckets per window: the granularity of forgetting, and the most a sweep steps over. */
const BUCKETS_PER_WINDOW = 64;
/** A bucket's array is compacted once this many of its slots have been evicted. */
const COMPACT_AFTER = 64;

export interface ReplayGuardOptions {
  clock: Clock;
  /** Default DEFAULT_REPLAY_TTL_MS. */
  ttlMs?: number;
  /** Default DEFAULT_REPLAY_SKEW_MS. */
  skewMs?: number;
  /** Default DEFAULT_REPLAY_MAX_ENTRIES. */
  maxEntries?: number;
}

export interface ReplayGuardStats {
  /** Ids remembered now. */
  entries: number;
  /** Id slots held by the time buckets, including ones already forgotten but not yet reclaimed. */
  retainedIds: number;
  /** Ids dropped early because maxEntries was reached. */
  evictions: number;
  /** Messages created at or before this time are refused: ids that old may have been evicted. */
  lowWaterMark: number;
}

interface Bucket {
  ids: string[];
  /** ids before this index have been evicted. */
  head: number;
}

/**
 * Refuses a message id seen before, and any message too old or too far in the future to judge.
 * An id is remembered until its created_at falls out of the window (now - ttl - skew), after
 * which the time check refuses it anyway. Ids sit in time buckets by created_at, so forgetting
 * drops whole buckets and every operation is amortised O(1). When maxEntries is reached the
 * oldest ids are evicted and the low-water mark rises past them: a message that old is then
 * refused as EXPIRED, so eviction narrows the window instead of re-opening a replay.
 *
 * Ids are matched alone, so the id and created_at must be covered by the same signature (they
 * are: both sit in the signed body), or a replay could present an evicted id with a new time.
 */
export class ReplayGuard {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly skewMs: number;
  private readonly maxEntries: number;
  private readonly bucketMs: number;
  /** Message id -> created_at. */
  private readonly seen = new Map<string, number>();
  private readonly buckets = new Map<number, Bucket>();
  /** Smallest and largest bucket index held; meaningless while `buckets` is empty. */
  private lowest = 0;
  private highest = 0;
  private lowWater = -Infinity;
  private evictions = 0;
  private retained = 0;

  constructor(options: ReplayGuardOptions) {
    this.clock = options.clock;
    this.ttlMs = options.ttlMs ?? DEFAULT_REPLAY_TTL_MS;
    this.skewMs = options.skewMs ?? DEFAULT_REPLAY_SKEW_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_REPLAY_MAX_ENTRIES;
    for (const [name, value] of [['ttlMs', this.ttlMs], ['skewMs', this.skewMs]] as const) {
      if (!Number.isFinite(value) || value < 0) throw new MeshError('INVALID_ARGUMENT', `${name} must be a finite number >= 0, got ${value}`);
    }
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new MeshError('INVALID_ARGUMENT', `maxEntries must be an integer >= 1, got ${this.maxEntries}`);
    }
    this.bucketMs = Math.max(1, Math.ceil((this.ttlMs + 2 * this.skewMs) / BUCKETS_PER_WINDOW));
  }

  /** Accepts a message id once; refuses replays, stale and future messages. Never throws. */
  check(messageId: string, createdAt: number): Result<void> {
    if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > MAX_REPLAY_ID_LENGTH) {
      return err(new MeshError('INVALID_FIELDS', `message id must be 1-${MAX_REPLAY_ID_LENGTH} characters`, { path: 'message_id' }));
    }
    if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) {
      return err(new MeshError('INVALID_FIELDS', 'created_at must be a finite number', { path: 'created_at' }));
    }
    const now = this.clock.now();
    const oldest = now - this.ttlMs - this.skewMs;
    this.forgetBefore(Math.max(oldest, this.lowWater));

    if (createdAt > now + this.skewMs) {
      return err(new MeshError('FROM_THE_FUTURE', `message ${messageId} was created at ${createdAt}, more than ${this.skewMs} ms after now (${now})`));
    }
    if (createdAt < oldest) {
      return err(new MeshError('EXPIRED', `message ${messageId} was created at ${createdAt}, older than the ${this.ttlMs} ms ttl (now ${now})`));
    }
    if (createdAt <= this.lowWater) {
      return err(new MeshError('EXPIRED', `message ${messageId} is older than the replay memory under load (low-water mark ${this.lowWater})`));
    }
    const previous = this.seen.get(messageId);
    if (previous !== undefined && previous >= oldest && previous > this.lowWater) {
      return err(new MeshError('REPLAYED', `message ${messageId} was already accepted`));
    }
    // A previous entry that is out of the window is simply overwritten; its old slot is skipped.
    if (previous === undefined && this.seen.size >= this.maxEntries) this.evictOldest();
    this.remember(messageId, createdAt);
    return ok(undefined);
  }

  get size(): number {
    return this.seen.size;
  }

  stats(): ReplayGuardStats {
    return { entries: this.seen.size, retainedIds: this.retained, evictions: this.evictions, lowWaterMark: this.lowWater };
  }

  private bucketOf(createdAt: number): number {
    return Math.floor(createdAt / this.bucketMs);
  }

  private remember(messageId: string, createdAt: number): void {
    this.seen.set(messageId, createdAt);
    const index = this.bucketOf(createdAt);
    let bucket = this.buckets.get(index);
    if (!bucket) {
      bucket = { ids: [], head: 0 };
      if (this.buckets.size === 0) this.lowest = this.highest = index;
      else {
        this.lowest = Math.min(this.lowest, index);
        this.highest = Math.max(this.highest, index);
      }
      this.buckets.set(index, bucket);
    }
    bucket.ids.push(messageId);
    this.retained++;
  }

  /** Drops every bucket whose ids were all created before `cutoff`. */
  private forgetBefore(cutoff: number): void {
    // Bucket i holds created_at in [i * bucketMs, (i + 1) * bucketMs).
    const firstLive = Math.floor(cutoff / this.bucketMs);
    while (this.buckets.size > 0 && this.lowest < firstLive) this.dropBucket(this.lowest);
  }

  /** Evicts the oldest remembered id and raises the low-water mark to its created_at. */
  private evictOldest(): void {
    while (this.buckets.size > 0) {
      const index = this.lowest;
      const bucket = this.buckets.get(index)!;
      while (bucket.head < bucket.ids.length) {
        const id = bucket.ids[bucket.head++]!;
        const createdAt = this.seen.get(id);
        // Skip slots whose id was since forgotten or re-remembered in another bucket.
        if (createdAt === undefined || this.bucketOf(createdAt) !== index) continue;
        this.seen.delete(id);
        this.evictions++;
        // Ids in one bucket are not sorted, so others here may now sit below the mark; they are dead weight, never a hole.
        this.lowWater = Math.max(this.lowWater, createdAt);
        if (bucket.head >= bucket.ids.length) this.dropBucket(index);
        else if (bucket.head >= COMPACT_AFTER && bucket.head * 2 >= bucket.ids.length) this.compact(bucket);
        return;
      }
      this.dropBucket(index);
    }
  }

  private compact(bucket: Bucket): void {
    this.retained -= bucket.head;
    bucket.ids = bucket.ids.slice(bucket.head);
    bucket.head = 0;
  }

  private dropBucket(index: number): void {
    const bucket = this.buckets.get(index);
    if (bucket) {
      for (let i = bucket.head; i < bucket.ids.length; i++) {
        const id = bucket.ids[i]!;
        const createdAt = this.seen.get(id);
        if (createdAt !== undefined && this.bucketOf(createdAt) === index) this.seen.delete(id);
      }
      this.retained -= bucket.ids.length;
      this.buckets.delete(index);
    }
    if (index === this.lowest && this.buckets.size > 0) this.lowest = this.nextBucketAfter(index);
  }

  private nextBucketAfter(index: number): number {
    // Held buckets normally span about BUCKETS_PER_WINDOW indices; after a clock jump they may
    // be sparse, and then one pass over the map is cheaper than stepping index by index.
    if (this.highest - index > 2 * this.buckets.size + BUCKETS_PER_WINDOW) return Math.min(...this.buckets.keys());
    let next = index + 1;
    while (!this.buckets.has(next)) next++;
    return next;
  }
}
