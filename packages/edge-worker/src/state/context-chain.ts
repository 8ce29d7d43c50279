import { toHex } from '@mesh30k/shared';
import { readKv, writeKv } from './sql-schema.js';

/** SHA-256 of the empty string: the context of an agent that has recorded nothing yet. */
export const GENESIS_CONTEXT_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const KEY = 'context_hash';
const encoder = new TextEncoder();

/**
 * The agent's context as a hash chain: each payload that changes the context is folded in as
 * sha256(previous ":" payload_hash). Two agents that applied the same payloads in the same
 * order hold the same hash, which is what `sync` compares and conflicts report.
 */
export class ContextChain {
  private readonly sql: SqlStorage;
  private current = GENESIS_CONTEXT_HASH;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  load(): void {
    this.current = readKv(this.sql, KEY) ?? GENESIS_CONTEXT_HASH;
  }

  get hash(): string {
    return this.current;
  }

  async advance(payloadHash: string): Promise<string> {
    const digest = await crypto.subtle.digest('SHA-256', encoder.encode(`${this.current}:${payloadHash}`));
    this.current = toHex(new Uint8Array(digest));
    writeKv(this.sql, KEY, this.current);
    return this.current;
  }
}
