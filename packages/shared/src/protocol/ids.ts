/**
 * Message ids: a time component (so logs sort and the replay guard can reason about age) and
 * 96 random bits (so ids from thousands of agents never collide without coordination).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Random bytes are drawn from the platform in blocks: a lead stamps thousands of message ids a
 * second, and one getRandomValues call per id cost it more than building the id itself.
 */
const POOL_BYTES = 4_096;
const pool = new Uint8Array(POOL_BYTES);
let poolUsed = POOL_BYTES;

export function randomToken(length = 16): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    if (poolUsed === POOL_BYTES) {
      crypto.getRandomValues(pool);
      poolUsed = 0;
    }
    out += ALPHABET[pool[poolUsed++]! & 63];
  }
  return out;
}

/** `<ms since epoch, base 36>-<16 random chars>`, e.g. `mhx3k2a1-Qf3...`. */
export function newMessageId(nowMs: number): string {
  return `${Math.floor(nowMs).toString(36)}-${randomToken(16)}`;
}
