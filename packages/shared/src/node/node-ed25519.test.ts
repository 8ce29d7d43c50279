import { describe, expect, it } from 'vitest';
import { describeEd25519Contract, flipBit } from '../signing/ed25519-contract.js';
import { fromHex } from '../signing/encoding.js';
import { RFC8032_VECTORS } from '../signing/rfc8032-vectors.js';
import { createNodeEd25519, nodeEd25519 } from './node-ed25519.js';

describeEd25519Contract(nodeEd25519);

describe('node: synchronous API', () => {
  for (const vector of RFC8032_VECTORS) {
    it(`signs and verifies ${vector.name} synchronously`, () => {
      const impl = createNodeEd25519();
      const message = fromHex(vector.message);
      const signature = fromHex(vector.signature);
      expect(impl.signerSync(fromHex(vector.secretKey)).signSync(message)).toEqual(signature);
      expect(impl.verifySync(fromHex(vector.publicKey), message, signature)).toBe(true);
      expect(impl.verifySync(fromHex(vector.publicKey), message, flipBit(signature, 40))).toBe(false);
    });
  }

  it('returns false, never throws, for malformed input', () => {
    const vector = RFC8032_VECTORS[2]!;
    const message = fromHex(vector.message);
    expect(nodeEd25519.verifySync(new Uint8Array(31), message, fromHex(vector.signature))).toBe(false);
    expect(nodeEd25519.verifySync(fromHex(vector.publicKey), message, new Uint8Array(63))).toBe(false);
    expect(nodeEd25519.verifySync(new Uint8Array(32).fill(0xff), message, fromHex(vector.signature))).toBe(false);
  });

  it('throws BAD_KEY synchronously from signerSync for a wrong-length key', () => {
    expect(() => nodeEd25519.signerSync(new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
  });

  it('returns plain Uint8Arrays, not Buffers', async () => {
    const vector = RFC8032_VECTORS[0]!;
    const signer = await nodeEd25519.signer(fromHex(vector.secretKey));
    expect(Object.getPrototypeOf(await signer.sign(new Uint8Array(0)))).toBe(Uint8Array.prototype);
    const keyPair = await nodeEd25519.generateKeyPair();
    expect(Object.getPrototypeOf(keyPair.publicKey)).toBe(Uint8Array.prototype);
  });
});

describe('node: public key cache', () => {
  it('imports a public key once for 100 verifies, sync and async alike', async () => {
    const impl = createNodeEd25519();
    const vector = RFC8032_VECTORS[3]!;
    const [publicKey, message, signature] = [fromHex(vector.publicKey), fromHex(vector.message), fromHex(vector.signature)];
    for (let i = 0; i < 50; i++) expect(impl.verifySync(publicKey, message, signature)).toBe(true);
    for (let i = 0; i < 50; i++) expect(await impl.verify(publicKey, message, signature)).toBe(true);
    expect(impl.stats()).toMatchObject({ imports: 1, hits: 99, size: 1 });
  });

  it('keeps at most its capacity of keys', () => {
    const impl = createNodeEd25519({ cacheCapacity: 3 });
    for (const vector of RFC8032_VECTORS) {
      expect(impl.verifySync(fromHex(vector.publicKey), fromHex(vector.message), fromHex(vector.signature))).toBe(true);
    }
    expect(impl.stats()).toMatchObject({ imports: RFC8032_VECTORS.length, size: 3, evictions: RFC8032_VECTORS.length - 3 });
  });
});
