/**
 * HMAC-SHA256 on node:crypto, synchronous: the session tag of every heartbeat and reply is on
 * the lead's main thread, where WebCrypto's promise per tag costs about ten times as much
 * (test/bench/lead-bench.ts measures the lead with both).
 */
import { createHmac } from 'node:crypto';
import type { SyncHmacSha256 } from '../session/hmac.js';

export const nodeHmacSha256: SyncHmacSha256 = {
  name: 'node',
  tag(key, data) {
    const digest = createHmac('sha256', key).update(data).digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  },
  tagParts(key, parts) {
    const hmac = createHmac('sha256', key);
    for (const part of parts) hmac.update(part);
    const digest = hmac.digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  },
};
