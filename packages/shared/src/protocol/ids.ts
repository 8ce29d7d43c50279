/**
 * Message ids: a time component (so logs sort and the replay guard can reason about age) and
 * 96 random bits (so ids from thousands of agents never collide without coordination).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function randomToken(length = 16): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte & 63];
  return out;
}

/** `<ms since epoch, base 36>-<16 random chars>`, e.g. `mhx3k2a1-Qf3...`. */
export function newMessageId(nowMs: number): string {
  return `${Math.floor(nowMs).toString(36)}-${randomToken(16)}`;
}
