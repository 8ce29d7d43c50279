/**
 * The three implementations against each other and against node:crypto used directly: the
 * same keys and messages must give byte-identical public keys and signatures everywhere.
 */
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, fromHex, toBase64Url } from '../signing/encoding.js';
import { nobleEd25519 } from '../signing/noble.js';
import { RFC8032_VECTORS } from '../signing/rfc8032-vectors.js';
import { createWebCryptoEd25519 } from '../signing/webcrypto.js';
import { createNodeEd25519 } from './node-ed25519.js';

const PROPERTY_RUNS = 50;
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

describe('RFC 8032 vectors as typed here', () => {
  // Checked with node:crypto alone, so a typo in the vectors cannot hide behind our own code.
  for (const vector of RFC8032_VECTORS) {
    it(`${vector.name} matches node:crypto used directly`, () => {
      const key = createPrivateKey({
        key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(vector.secretKey, 'hex')]),
        format: 'der',
        type: 'pkcs8',
      });
      const x = createPublicKey(key).export({ format: 'jwk' }).x;
      expect(Buffer.from(x ?? '', 'base64url').toString('hex')).toBe(vector.publicKey);
      expect(sign(null, Buffer.from(vector.message, 'hex'), key).toString('hex')).toBe(vector.signature);
    });
  }
});

describe('node, webcrypto and noble agree', () => {
  const impls = [createNodeEd25519(), createWebCryptoEd25519(), nobleEd25519];

  it('derive identical public keys and signatures for random keys and messages', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 0, maxLength: 2048 }),
        async (seed, message) => {
          const publicKeys = await Promise.all(impls.map((impl) => impl.publicKeyFromPrivate(seed)));
          const signatures = await Promise.all(impls.map(async (impl) => (await impl.signer(seed)).sign(message)));
          for (let i = 1; i < impls.length; i++) {
            expect(publicKeys[i]).toEqual(publicKeys[0]);
            expect(signatures[i]).toEqual(signatures[0]);
          }
          // Each accepts the signature, and each rejects it on a changed message.
          const changed = message.length === 0 ? Uint8Array.of(0) : message.map((b, i) => (i === 0 ? b ^ 0x80 : b));
          for (const impl of impls) {
            expect(await impl.verify(publicKeys[0]!, message, signatures[0]!)).toBe(true);
            expect(await impl.verify(publicKeys[0]!, changed, signatures[0]!)).toBe(false);
          }
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('verify each other’s generated keys', async () => {
    const message = new TextEncoder().encode('cross-implementation');
    for (const generator of impls) {
      const keyPair = await generator.generateKeyPair();
      const signature = await (await generator.signer(keyPair.privateKey)).sign(message);
      for (const verifier of impls) {
        expect(await verifier.verify(keyPair.publicKey, message, signature)).toBe(true);
      }
    }
  });
});

describe('base64url against Buffer', () => {
  it('encodes and decodes as Buffer does for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const expected = Buffer.from(bytes).toString('base64url');
        expect(toBase64Url(bytes)).toBe(expected);
        expect(fromBase64Url(expected)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with hex decoding of the vectors', () => {
    for (const vector of RFC8032_VECTORS) {
      expect(Buffer.from(fromHex(vector.signature)).toString('hex')).toBe(vector.signature);
    }
  });
});
