import type { LeaseRecord } from './lease-record.js';

/**
 * What the lease keeper needs from the replicated store: one key read and written with
 * compare-and-set on its revision. The JetStream KV adapter is kv-lease-store.ts; unit tests
 * use an in-memory fake.
 */
export interface LeaseStore {
  /** The lease's length: a holder's deadline is its last renewal's send time + this - a margin. */
  readonly ttlMs: number;
  /**
   * When the store itself drops an entry nobody renewed (the bucket's max age, counted from when
   * the write landed): at least `ttlMs`. Beyond it, a holder may ride through an unwritable
   * store with witnesses (lease-witness.ts), up to this long after its last good renewal.
   */
  readonly maxAgeMs: number;
  /** The entry now. */
  read(): Promise<LeaseObservation>;
  /**
   * Writes `record` if the key is still at `expectedRevision` (0: the key has no live entry).
   * Resolves the new revision, or null if someone else wrote first. Rejects when the store
   * could not be asked (the caller cannot tell whether the write landed).
   */
  write(record: LeaseRecord, expectedRevision: number): Promise<number | null>;
  /** Deletes the entry if it is still at `expectedRevision`; a no-op otherwise. */
  release(expectedRevision: number): Promise<void>;
  /**
   * Calls `seen` with each write and delete of the key as it lands (not with the server's expiry
   * of an entry, which nobody is told of). Resolves a stop function. Optional: a keeper without
   * it learns only by reading.
   */
  watch?(seen: (observation: LeaseObservation) => void): Promise<() => void>;
  /**
   * The highest epoch a holder of this lease recorded (0 when none), kept apart from the
   * lease's own entry and revisions, so it outlives the lease bucket being recreated.
   */
  recordedEpoch(): Promise<number>;
  /** Records `epoch` as taken, unless a higher one is already recorded. Rejects when it could not be written. */
  recordEpoch(epoch: number): Promise<void>;
}

/**
 * One read of the key. `revision` is what a write must expect to replace it (0 when the key
 * never had an entry or its entry expired). `record` is null when nobody holds the lease
 * (absent, deleted) and `unreadable` when an entry is there but is not a lease record.
 */
export type LeaseObservation =
  | { readonly revision: number; readonly state: 'vacant' }
  | { readonly revision: number; readonly state: 'held'; readonly record: LeaseRecord }
  | { readonly revision: number; readonly state: 'unreadable'; readonly problem: string };
