import { toArrayBufferView } from '../signing/encoding.js';

/**
 * HMAC-SHA256 as the session code needs it. Synchronous where the runtime has it (node:crypto,
 * injected from `@mesh30k/shared/node`): about 2.5 us a tag, against about 30 us through the
 * promise-based WebCrypto, which is what workerd offers (measured in the session ADR's notes).
 */
export interface HmacSha256 {
  readonly name: string;
  /** The 32-byte tag of `data` under `key`. */
  tag(key: Uint8Array, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** An HMAC that answers at once: what a lead needs to tag a reply right after stamping t3. */
export interface SyncHmacSha256 extends HmacSha256 {
  tag(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** The tag of `parts` one after another, without copying them into one array first. */
  tagParts?(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array;
}

type Subtle = typeof globalThis.crypto.subtle;
type WebCryptoKey = Awaited<ReturnType<Subtle['importKey']>>;

/** HMAC-SHA256 on WebCrypto; an imported key is kept per key array (keys live as long as a session). */
export function createWebCryptoHmac(subtle: Subtle = globalThis.crypto.subtle): HmacSha256 {
  const imported = new WeakMap<Uint8Array, Promise<WebCryptoKey>>();
  const keyOf = (key: Uint8Array): Promise<WebCryptoKey> => {
    let pending = imported.get(key);
    if (pending === undefined) {
      pending = subtle.importKey('raw', toArrayBufferView(key.slice()), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      imported.set(key, pending);
    }
    return pending;
  };
  return {
    name: 'webcrypto',
    async tag(key, data) {
      return new Uint8Array(await subtle.sign('HMAC', await keyOf(key), toArrayBufferView(data)));
    },
  };
}

/** Compares two tags in time independent of where they differ. */
export function tagsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
