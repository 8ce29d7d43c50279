/**
 * The session key exchange's primitives on node:crypto, synchronous: a lead opening thousands
 * of sessions after a restart or a failover spends them on its main thread, where WebCrypto's
 * promise and CryptoKey objects per step cost several times the X25519 itself. Public keys go
 * in and out as JWK (raw bytes in base64url), which node exports and imports far faster than DER.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import type { SessionCrypto } from '../session/session-keys.js';
import { PKCS8_X25519_PREFIX, withDerPrefix } from '../signing/der.js';
import { fromBase64Url, toBase64Url } from '../signing/encoding.js';

const bytesOf = (buffer: Buffer | ArrayBuffer): Uint8Array => (buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));

/** The interface is promise-shaped (WebCrypto's is); the work here is done at once. */
function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * An X25519 private key from 32 random bytes (RFC 7748: any 32 bytes are a key; the scalar is
 * clamped when used). Not `generateKeyPairSync('x25519')`: on Node 20 the key-generation job
 * left behind for the garbage collector locks the new key's mutex in its destructor, and a
 * collection that runs it while `export()` holds that mutex deadlocks the thread for good. A
 * lead opening 30,000 sessions hung so (gdb: `ExportJWKEdKey` -> GC -> `~KeyGenJob` ->
 * `pthread_mutex_lock`, main thread at 0% CPU in a futex wait).
 *
 * Imported as a JWK, not PKCS#8: OpenSSL 3's DER decoder took about 360 us a key here (37 us as
 * a JWK), and far more beside the verify threads' own imports; in a restart at 30,000 agents it
 * was 23% of the lead's main thread (issue 15). Node builds a private OKP key from `d` alone
 * but insists on an `x` string, so it gets a placeholder (the caller exports the real public
 * key); should a Node check `x` one day, the PKCS#8 import stands in.
 */
function randomPrivateKey(): KeyObject {
  const d = randomBytes(32);
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: d.toString('base64url'), x: '' }, format: 'jwk' });
  } catch {
    const der = withDerPrefix(PKCS8_X25519_PREFIX, d);
    return createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.byteLength), format: 'der', type: 'pkcs8' });
  }
}

export const nodeSessionCrypto: SessionCrypto = {
  name: 'node',
  newEphemeral: () =>
    settled(() => {
      const privateKey = randomPrivateKey();
      const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
      if (x === undefined) throw new Error('node:crypto exported an X25519 key without its x');
      return { publicKey: fromBase64Url(x), privateKey };
    }),
  x25519: (own, peerPublic) =>
    settled(() => {
      const peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: toBase64Url(peerPublic) }, format: 'jwk' });
      // OpenSSL refuses a low-order peer (an all-zero secret) by throwing; the caller checks for other implementations.
      return bytesOf(diffieHellman({ privateKey: own.privateKey as KeyObject, publicKey: peer }));
    }),
  hkdfSha256: (ikm, salt, info, bytes) => settled(() => bytesOf(hkdfSync('sha256', ikm, salt, info, bytes))),
  sha256: (data) => settled(() => bytesOf(createHash('sha256').update(data).digest())),
};
