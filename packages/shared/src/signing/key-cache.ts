/**
 * A bounded cache of imported public keys, keyed by the raw key bytes. Importing a key costs
 * about as much as a verify, and a lead verifies every heartbeat of every agent, so each key is
 * imported once. Eviction is least-recently-used: a hit moves the entry to the back of the Map
 * (Maps iterate in insertion order), and an insert over capacity drops the front entry.
 */
import { MeshError } from '../lib/errors.js';
import { toHex } from './encoding.js';

/**
 * Room for every agent of a full mesh (30,000) under one lead, so that a round-robin of
 * heartbeats never thrashes an LRU that is slightly too small.
 */
export const DEFAULT_KEY_CACHE_CAPACITY = 32_768;

export interface KeyCacheStats {
  /** Times the import function ran (cache misses). */
  imports: number;
  hits: number;
  evictions: number;
  size: number;
  capacity: number;
}

export class KeyCache<V> {
  private readonly entries = new Map<string, V>();
  private imports = 0;
  private hits = 0;
  private evictions = 0;

  constructor(private readonly capacity: number = DEFAULT_KEY_CACHE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new MeshError('INVALID_ARGUMENT', `key cache capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** The cached value for `keyBytes`, or the result of `load()` stored under them. */
  getOrLoad(keyBytes: Uint8Array, load: () => V): V {
    const id = toHex(keyBytes);
    const cached = this.entries.get(id);
    if (cached !== undefined) {
      this.hits++;
      this.entries.delete(id);
      this.entries.set(id, cached);
      return cached;
    }
    this.imports++;
    const value = load();
    this.entries.set(id, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) {
        this.entries.delete(oldest.value);
        this.evictions++;
      }
    }
    return value;
  }

  /** Drops the entry for `keyBytes` when it still holds `value` (a failed import, say). */
  forget(keyBytes: Uint8Array, value: V): void {
    const id = toHex(keyBytes);
    if (this.entries.get(id) === value) this.entries.delete(id);
  }

  stats(): KeyCacheStats {
    return {
      imports: this.imports,
      hits: this.hits,
      evictions: this.evictions,
      size: this.entries.size,
      capacity: this.capacity,
    };
  }
}
