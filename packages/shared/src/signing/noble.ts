/**
 * Ed25519 in plain JavaScript (@noble/ed25519): the fallback where no native Ed25519 exists,
 * and the cross-check of the native ones. Only the async API is used; it hashes with WebCrypto
 * SHA-512, so no hash library is needed and noble's global hash hooks stay untouched.
 */
import { getPublicKeyAsync, keygenAsync, signAsync, verifyAsync } from '@noble/ed25519';
import { PRIVATE_KEY_LENGTH, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, assertKeyLength, hasLength } from './encoding.js';
import { promised } from './promised.js';
import type { Ed25519, KeyPair, PrivateKeyBytes, PublicKeyBytes, Signer } from './types.js';

/**
 * RFC 8032 verification rather than noble's default ZIP-215 rules, so that noble accepts the
 * same signatures as OpenSSL and WebCrypto (they differ only on crafted edge cases).
 */
const VERIFY_OPTIONS = { zip215: false } as const;

export const nobleEd25519: Ed25519 = {
  name: 'noble',

  async generateKeyPair(): Promise<KeyPair> {
    const { secretKey, publicKey } = await keygenAsync();
    return { privateKey: secretKey, publicKey };
  },

  async publicKeyFromPrivate(privateKey: PrivateKeyBytes): Promise<PublicKeyBytes> {
    assertKeyLength(privateKey, PRIVATE_KEY_LENGTH, 'Ed25519 private key');
    return await getPublicKeyAsync(privateKey);
  },

  signer: (privateKey: PrivateKeyBytes): Promise<Signer> =>
    promised(() => {
      assertKeyLength(privateKey, PRIVATE_KEY_LENGTH, 'Ed25519 private key');
      // noble signs from the seed each time; keep a private copy so a caller reusing its buffer
      // cannot change the key under the signer.
      const seed = privateKey.slice();
      return { sign: (message: Uint8Array) => signAsync(message, seed) };
    }),

  async verify(publicKey: PublicKeyBytes, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (!hasLength(publicKey, PUBLIC_KEY_LENGTH) || !hasLength(signature, SIGNATURE_LENGTH)) return false;
    try {
      return await verifyAsync(signature, message, publicKey, VERIFY_OPTIONS);
    } catch {
      // noble throws on points that do not decode; for a verifier that is simply "not valid".
      return false;
    }
  },
};
