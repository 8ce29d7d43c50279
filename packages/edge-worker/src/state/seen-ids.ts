import { ReplayGuard, DEFAULT_REPLAY_TTL_MS, type Clock } from '@mesh30k/shared';
import type { AdmitRefusalCode } from './types.js';

export interface SeenIdsOptions {
  /** The Worker's own clock. */
  local: Clock;
  skewMs: number;
  ttlMs?: number;
  maxEntries?: number;
}

/** Expired rows are swept from SQLite once per this many admissions. */
const SWEEP_EVERY = 256;
const DEFAULT_MAX_ENTRIES = 20_000;

/**
 * The replay guard of one Worker agent, kept in its Durable Object: the in-memory ReplayGuard
 * answers, and every accepted id is also written to SQLite so that a restarted object (or one
 * evicted while idle) still refuses what it accepted before. Times are mesh time, read as the
 * Worker clock plus the offset the lead gave.
 */
export class SeenIds {
  private readonly sql: SqlStorage;
  private readonly local: Clock;
  private readonly guard: ReplayGuard;
  private readonly windowMs: number;
  private offsetMs = 0;
  private sinceSweep = 0;

  constructor(sql: SqlStorage, options: SeenIdsOptions) {
    this.sql = sql;
    this.local = options.local;
    const ttlMs = options.ttlMs ?? DEFAULT_REPLAY_TTL_MS;
    this.windowMs = ttlMs + options.skewMs;
    this.guard = new ReplayGuard({
      clock: { now: () => this.meshNow() },
      ttlMs,
      skewMs: options.skewMs,
      maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
    });
  }

  /** Re-reads the ids still inside the window; called once when the object starts. */
  load(offsetMs: number): void {
    this.offsetMs = offsetMs;
    this.sweep();
    const rows = this.sql.exec<{ message_id: string; created_at: number }>(
      'SELECT message_id, created_at FROM seen_ids ORDER BY created_at',
    );
    for (const row of rows) this.guard.check(row.message_id, row.created_at);
  }

  /** Accepts a message once, inside its own ttl and the replay window, and remembers it. */
  admit(messageId: string, createdAt: number, ttlMs: number, offsetMs: number): { ok: true } | { ok: false; code: AdmitRefusalCode; message: string } {
    this.offsetMs = offsetMs;
    const now = this.meshNow();
    if (createdAt + ttlMs < now) {
      return { ok: false, code: 'EXPIRED', message: `message ${messageId} outlived its ttl of ${ttlMs} ms (created ${createdAt}, mesh now ${now})` };
    }
    const checked = this.guard.check(messageId, createdAt);
    if (!checked.ok) {
      const code = checked.error.code;
      const known = code === 'REPLAYED' || code === 'EXPIRED' || code === 'FROM_THE_FUTURE';
      return { ok: false, code: known ? code : 'INVALID_FIELDS', message: checked.error.message };
    }
    this.sql.exec('INSERT OR REPLACE INTO seen_ids (message_id, created_at) VALUES (?, ?)', messageId, createdAt);
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep();
    return { ok: true };
  }

  get size(): number {
    return this.guard.size;
  }

  private meshNow(): number {
    return this.local.now() + this.offsetMs;
  }

  private sweep(): void {
    this.sinceSweep = 0;
    this.sql.exec('DELETE FROM seen_ids WHERE created_at < ?', this.meshNow() - this.windowMs);
  }
}
