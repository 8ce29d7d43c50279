/**
 * Test-only: the behaviour every Ed25519 implementation must show, run by the test file of each
 * (noble and WebCrypto here, node:crypto under src/node). Kept free of node:* so that it also
 * runs inside workerd.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from './encoding.js';
import { RFC8032_VECTORS } from './rfc8032-vectors.js';
import type { Ed25519 } from './types.js';

/** A copy of `bytes` with one bit flipped at `index`. */
export function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = copy[index]! ^ 1;
  return copy;
}

export function describeEd25519Contract(impl: Ed25519): void {
  describe(`${impl.name}: RFC 8032 section 7.1 vectors`, () => {
    for (const vector of RFC8032_VECTORS) {
      const secretKey = fromHex(vector.secretKey);
      const publicKey = fromHex(vector.publicKey);
      const message = fromHex(vector.message);
      const signature = fromHex(vector.signature);

      it(`derives the public key of ${vector.name}`, async () => {
        expect(await impl.publicKeyFromPrivate(secretKey)).toEqual(publicKey);
      });

      it(`signs ${vector.name} byte for byte`, async () => {
        const signer = await impl.signer(secretKey);
        expect(await signer.sign(message)).toEqual(signature);
      });

      it(`verifies ${vector.name}`, async () => {
        expect(await impl.verify(publicKey, message, signature)).toBe(true);
      });
    }
  });

  describe(`${impl.name}: refusals`, () => {
    const vector = RFC8032_VECTORS[2]!; // TEST 3: a two-byte message
    const publicKey = fromHex(vector.publicKey);
    const message = fromHex(vector.message);
    const signature = fromHex(vector.signature);
    const otherPublicKey = fromHex(RFC8032_VECTORS[1]!.publicKey);

    it('rejects a tampered message', async () => {
      expect(await impl.verify(publicKey, flipBit(message, 1), signature)).toBe(false);
      expect(await impl.verify(publicKey, new Uint8Array([...message, 0]), signature)).toBe(false);
    });

    it.each([0, 31, 32, 63])('rejects a signature with a bit flipped in byte %i', async (index) => {
      expect(await impl.verify(publicKey, message, flipBit(signature, index))).toBe(false);
    });

    it('rejects a signature checked against another key', async () => {
      expect(await impl.verify(otherPublicKey, message, signature)).toBe(false);
      expect(await impl.verify(flipBit(publicKey, 0), message, signature)).toBe(false);
    });

    it.each([0, 31, 33, 64])('returns false for a %i-byte public key', async (length) => {
      const key = new Uint8Array(length);
      key.set(publicKey.subarray(0, Math.min(length, publicKey.length)));
      await expect(impl.verify(key, message, signature)).resolves.toBe(false);
    });

    it.each([0, 32, 63, 65])('returns false for a %i-byte signature', async (length) => {
      const truncated = new Uint8Array(length);
      truncated.set(signature.subarray(0, Math.min(length, signature.length)));
      await expect(impl.verify(publicKey, message, truncated)).resolves.toBe(false);
    });

    it('returns false for a public key that is not a canonical curve point', async () => {
      await expect(impl.verify(new Uint8Array(32).fill(0xff), message, signature)).resolves.toBe(false);
    });

    it('rejects the small-order-key forgery that lenient verifiers accept', async () => {
      // Public key and R are the identity point and S = 0: valid for any message unless the
      // verifier refuses small-order keys (OpenSSL and BoringSSL alone do not).
      const identity = Uint8Array.of(1, ...new Uint8Array(31));
      const forged = Uint8Array.of(...identity, ...new Uint8Array(32));
      await expect(impl.verify(identity, message, forged)).resolves.toBe(false);
    });

    it('returns false for arguments that are not byte arrays', async () => {
      const notBytes = 'not bytes' as unknown as Uint8Array;
      await expect(impl.verify(notBytes, message, signature)).resolves.toBe(false);
      await expect(impl.verify(publicKey, message, notBytes)).resolves.toBe(false);
    });

    it.each([31, 33, 64])('refuses a %i-byte private key with BAD_KEY', async (length) => {
      await expect(impl.signer(new Uint8Array(length))).rejects.toMatchObject({ code: 'BAD_KEY' });
      await expect(impl.publicKeyFromPrivate(new Uint8Array(length))).rejects.toMatchObject({ code: 'BAD_KEY' });
    });
  });

  describe(`${impl.name}: generated keys`, () => {
    it('round-trips sign and verify with a generated key pair', async () => {
      const keyPair = await impl.generateKeyPair();
      expect(keyPair.privateKey).toHaveLength(32);
      expect(keyPair.publicKey).toHaveLength(32);
      expect(await impl.publicKeyFromPrivate(keyPair.privateKey)).toEqual(keyPair.publicKey);
      const message = new TextEncoder().encode('{"kind":"heartbeat"}');
      const signature = await (await impl.signer(keyPair.privateKey)).sign(message);
      expect(signature).toHaveLength(64);
      expect(await impl.verify(keyPair.publicKey, message, signature)).toBe(true);
    });

    it('generates a different key pair each time', async () => {
      const first = await impl.generateKeyPair();
      const second = await impl.generateKeyPair();
      expect(second.privateKey).not.toEqual(first.privateKey);
      expect(second.publicKey).not.toEqual(first.publicKey);
    });

    it('keeps signing with the original key after the caller overwrites its buffer', async () => {
      const vector = RFC8032_VECTORS[1]!;
      const secretKey = fromHex(vector.secretKey);
      const signer = await impl.signer(secretKey);
      secretKey.fill(0);
      expect(await signer.sign(fromHex(vector.message))).toEqual(fromHex(vector.signature));
    });

    it('signs and verifies a message that is a view into a larger buffer', async () => {
      const vector = RFC8032_VECTORS[2]!;
      const message = fromHex(vector.message);
      const backing = new Uint8Array(message.length + 8).fill(0xaa);
      backing.set(message, 5);
      const view = backing.subarray(5, 5 + message.length);
      const signer = await impl.signer(fromHex(vector.secretKey));
      expect(await signer.sign(view)).toEqual(fromHex(vector.signature));
      expect(await impl.verify(fromHex(vector.publicKey), view, fromHex(vector.signature))).toBe(true);
    });
  });
}
