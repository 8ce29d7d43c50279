/**
 * Ed25519 on WebCrypto (`crypto.subtle`): the native implementation in workerd, also present in
 * Node. Private keys enter as PKCS#8 built from the seed; public keys as 'raw' and leave as the
 * JWK 'x' member, the one export format every runtime supports for Ed25519.
 */
import { MeshError } from '../lib/errors.js';
import { PKCS8_ED25519_PREFIX, withDerPrefix } from './der.js';
import {
  PRIVATE_KEY_LENGTH,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  assertKeyLength,
  fromBase64Url,
  hasLength,
  toArrayBufferView,
} from './encoding.js';
import { KeyCache } from './key-cache.js';
import { isValidPublicKey } from './public-key-check.js';
import type { KeyCacheStats } from './key-cache.js';
import type { Ed25519, KeyPair, PrivateKeyBytes, PublicKeyBytes, Signer } from './types.js';

type Subtle = typeof globalThis.crypto.subtle;
type WebCryptoKey = Awaited<ReturnType<Subtle['importKey']>>;

const ALGORITHM = { name: 'Ed25519' } as const;

export interface WebCryptoEd25519 extends Ed25519 {
  readonly name: 'webcrypto';
  /** Public-key cache counters; `imports` grows only on a miss. */
  stats(): KeyCacheStats;
}

export interface WebCryptoEd25519Options {
  /** Most public keys kept imported; the least recently used is dropped beyond it. */
  cacheCapacity?: number;
  /** The SubtleCrypto to use; defaults to the global one. */
  subtle?: Subtle;
}

export function createWebCryptoEd25519(options: WebCryptoEd25519Options = {}): WebCryptoEd25519 {
  const cache = new KeyCache<Promise<WebCryptoKey>>(options.cacheCapacity);
  // Resolved on first use, not at import, so a runtime without WebCrypto can still load the module.
  const subtle = (): Subtle => options.subtle ?? globalThis.crypto.subtle;

  const importPrivate = (privateKey: PrivateKeyBytes, extractable: boolean): Promise<WebCryptoKey> => {
    assertKeyLength(privateKey, PRIVATE_KEY_LENGTH, 'Ed25519 private key');
    const der = withDerPrefix(PKCS8_ED25519_PREFIX, privateKey);
    return subtle().importKey('pkcs8', der, ALGORITHM, extractable, ['sign']);
  };

  // The promise is cached, so concurrent verifies with a new key share one import.
  const importPublic = (publicKey: PublicKeyBytes): Promise<WebCryptoKey> =>
    cache.getOrLoad(publicKey, () => {
      // A copy, in case the caller reuses its buffer before the import settles.
      const keyBytes = publicKey.slice();
      const pending = isValidPublicKey(keyBytes)
        ? subtle().importKey('raw', keyBytes, ALGORITHM, false, ['verify'])
        : Promise.reject(new MeshError('BAD_KEY', 'not a canonical Ed25519 public key of large order'));
      // A key that failed to import must not stay cached as a rejected promise.
      pending.catch(() => cache.forget(keyBytes, pending));
      return pending;
    });

  return {
    name: 'webcrypto',

    async generateKeyPair(): Promise<KeyPair> {
      const generated = await subtle().generateKey(ALGORITHM, true, ['sign', 'verify']);
      if (!('privateKey' in generated)) throw new MeshError('BAD_KEY', 'WebCrypto returned no Ed25519 key pair');
      const jwk = await subtle().exportKey('jwk', generated.privateKey);
      return {
        privateKey: jwkMember(jwk.d, 'd', PRIVATE_KEY_LENGTH),
        publicKey: jwkMember(jwk.x, 'x', PUBLIC_KEY_LENGTH),
      };
    },

    async publicKeyFromPrivate(privateKey: PrivateKeyBytes): Promise<PublicKeyBytes> {
      const key = await importPrivate(privateKey, true);
      const jwk = await subtle().exportKey('jwk', key);
      return jwkMember(jwk.x, 'x', PUBLIC_KEY_LENGTH);
    },

    async signer(privateKey: PrivateKeyBytes): Promise<Signer> {
      const key = await importPrivate(privateKey, false);
      return {
        async sign(message: Uint8Array): Promise<Uint8Array> {
          return new Uint8Array(await subtle().sign(ALGORITHM, key, toArrayBufferView(message)));
        },
      };
    },

    async verify(publicKey: PublicKeyBytes, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
      if (!hasLength(publicKey, PUBLIC_KEY_LENGTH) || !hasLength(signature, SIGNATURE_LENGTH)) return false;
      try {
        const key = await importPublic(publicKey);
        return await subtle().verify(ALGORITHM, key, toArrayBufferView(signature), toArrayBufferView(message));
      } catch {
        // Whatever the runtime objects to (a point off the curve, say), the answer is "not valid".
        return false;
      }
    },

    stats: () => cache.stats(),
  };
}

function jwkMember(value: string | undefined, member: string, length: number): Uint8Array {
  if (value === undefined) throw new MeshError('BAD_KEY', `WebCrypto JWK export has no '${member}'`);
  const bytes = fromBase64Url(value);
  assertKeyLength(bytes, length, `WebCrypto JWK '${member}'`);
  return bytes;
}

/** The process-wide WebCrypto instance, with its own public-key cache. */
export const webCryptoEd25519: WebCryptoEd25519 = createWebCryptoEd25519();
