import type { z } from 'zod';
import type { Db } from './database.js';

/** Told of every write after it is committed (replication mirrors some keys to JetStream). */
export type StateListener = (key: string, value: unknown) => void;

/** Small durable key-value state of the lead (mode, freeze, config epoch, trust store). */
export class LeadStateStore {
  private readonly read;
  private readonly write;
  private readonly listeners: StateListener[] = [];

  constructor(db: Db) {
    this.read = db.prepare('SELECT value FROM lead_state WHERE key = ?').pluck();
    this.write = db.prepare('INSERT INTO lead_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  /** The value under `key` if present and valid for `schema`, else undefined. */
  get<S extends z.ZodType>(key: string, schema: S): z.infer<S> | undefined {
    const text = this.read.get(key) as string | undefined;
    if (text === undefined) return undefined;
    try {
      const parsed = schema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  set(key: string, value: unknown): void {
    this.write.run(key, JSON.stringify(value));
    for (const listener of this.listeners) listener(key, value);
  }

  /** Calls `listener` after each set(); returns what removes it. */
  observe(listener: StateListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }
}
