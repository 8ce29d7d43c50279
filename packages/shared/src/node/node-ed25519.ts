/**
 * Ed25519 on node:crypto KeyObjects (OpenSSL): the fastest choice in Node. Besides the
 * promise-based Ed25519 interface it offers synchronous sign and verify, because a lead
 * verifying thousands of heartbeats a second in worker threads should not pay for a promise
 * per message.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { MeshError } from '../lib/errors.js';
import { PKCS8_ED25519_PREFIX, withDerPrefix } from '../signing/der.js';
import {
  PRIVATE_KEY_LENGTH,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  assertKeyLength,
  fromBase64Url,
  hasLength,
  toBase64Url,
} from '../signing/encoding.js';
import { KeyCache } from '../signing/key-cache.js';
import { promised } from '../signing/promised.js';
import { isValidPublicKey } from '../signing/public-key-check.js';
import type { KeyCacheStats } from '../signing/key-cache.js';
import type { Ed25519, PrivateKeyBytes, PublicKeyBytes, Signer } from '../signing/types.js';

export interface NodeSigner extends Signer {
  signSync(message: Uint8Array): Uint8Array;
}

export interface NodeEd25519 extends Ed25519 {
  readonly name: 'node';
  signer(privateKey: PrivateKeyBytes): Promise<NodeSigner>;
  /** Synchronous signer, for hot paths that cannot afford a promise per message. */
  signerSync(privateKey: PrivateKeyBytes): NodeSigner;
  /** Same answer as `verify`, without the promise. Never throws. */
  verifySync(publicKey: PublicKeyBytes, message: Uint8Array, signature: Uint8Array): boolean;
  /** Public-key cache counters; `imports` grows only on a miss. */
  stats(): KeyCacheStats;
}

export interface NodeEd25519Options {
  /** Most public keys kept imported; the least recently used is dropped beyond it. */
  cacheCapacity?: number;
}

export function createNodeEd25519(options: NodeEd25519Options = {}): NodeEd25519 {
  const cache = new KeyCache<KeyObject>(options.cacheCapacity);

  const verifySync = (publicKey: PublicKeyBytes, message: Uint8Array, signature: Uint8Array): boolean => {
    if (!hasLength(publicKey, PUBLIC_KEY_LENGTH) || !hasLength(signature, SIGNATURE_LENGTH)) return false;
    try {
      const key = cache.getOrLoad(publicKey, () => importPublic(publicKey));
      return verify(null, message, key, signature);
    } catch {
      // OpenSSL's objections (a key that does not decode, say) all mean "not valid".
      return false;
    }
  };

  const signerSync = (privateKey: PrivateKeyBytes): NodeSigner => {
    const key = importPrivate(privateKey);
    const signSync = (message: Uint8Array): Uint8Array => asUint8Array(sign(null, message, key));
    return { signSync, sign: (message) => promised(() => signSync(message)) };
  };

  return {
    name: 'node',

    generateKeyPair: () =>
      promised(() => {
        // A random seed is an Ed25519 private key (RFC 8032). Not node's generateKeyPair: see
        // `randomPrivateKey` in node-session-crypto.ts for the deadlock its key jobs can cause.
        const privateKey = asUint8Array(randomBytes(PRIVATE_KEY_LENGTH));
        return { privateKey, publicKey: publicKeyOf(importPrivate(privateKey)) };
      }),

    publicKeyFromPrivate: (privateKey) => promised(() => publicKeyOf(importPrivate(privateKey))),
    signer: (privateKey) => promised(() => signerSync(privateKey)),
    signerSync,
    verify: (publicKey, message, signature) => Promise.resolve(verifySync(publicKey, message, signature)),
    verifySync,
    stats: () => cache.stats(),
  };
}

function importPublic(publicKey: PublicKeyBytes): KeyObject {
  // OpenSSL accepts small-order keys, with which anyone can forge; refuse them before import.
  if (!isValidPublicKey(publicKey)) throw new MeshError('BAD_KEY', 'not a canonical Ed25519 public key of large order');
  // As a JWK: OpenSSL 3's DER decoder took about 93 us a key here (8 us as a JWK), and a
  // restarted lead imports every agent's key again (issue 15).
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(publicKey) }, format: 'jwk' });
}

function importPrivate(privateKey: PrivateKeyBytes): KeyObject {
  assertKeyLength(privateKey, PRIVATE_KEY_LENGTH, 'Ed25519 private key');
  return createPrivateKey({ key: derBuffer(PKCS8_ED25519_PREFIX, privateKey), format: 'der', type: 'pkcs8' });
}

function publicKeyOf(privateKey: KeyObject): PublicKeyBytes {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return jwkMember(jwk.x, 'x', PUBLIC_KEY_LENGTH);
}

function jwkMember(value: string | undefined, member: string, length: number): Uint8Array {
  if (value === undefined) throw new MeshError('BAD_KEY', `node:crypto JWK export has no '${member}'`);
  const bytes = fromBase64Url(value);
  assertKeyLength(bytes, length, `node:crypto JWK '${member}'`);
  return bytes;
}

/** node:crypto's types want a Buffer for DER input. */
function derBuffer(prefix: Uint8Array, key: Uint8Array): Buffer {
  const der = withDerPrefix(prefix, key);
  return Buffer.from(der.buffer, der.byteOffset, der.byteLength);
}

/** A plain Uint8Array view of a Buffer, so callers and tests never see Buffer-only behaviour. */
function asUint8Array(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The process-wide (or worker-thread-wide) node:crypto instance, with its own key cache. */
export const nodeEd25519: NodeEd25519 = createNodeEd25519();
