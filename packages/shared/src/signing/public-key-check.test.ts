import { describe, expect, it } from 'vitest';
import { fromHex } from './encoding.js';
import { isValidPublicKey } from './public-key-check.js';
import { RFC8032_VECTORS } from './rfc8032-vectors.js';

/** Little-endian 32-byte encoding of y with the x sign bit set as given. */
function encodePoint(y: bigint, xSign = 0): Uint8Array {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number((y >> BigInt(8 * i)) & 0xffn);
  bytes[31] = bytes[31]! | (xSign << 7);
  return bytes;
}

const P = 2n ** 255n - 19n;

describe('isValidPublicKey', () => {
  it.each(RFC8032_VECTORS.map((v) => [v.name, v.publicKey]))('accepts the public key of %s', (_, hex) => {
    expect(isValidPublicKey(fromHex(hex))).toBe(true);
  });

  it.each([
    ['the identity (order 1)', encodePoint(1n)],
    ['the point of order 2', encodePoint(P - 1n)],
    ['a point of order 4', encodePoint(0n)],
    ['the identity with x "negative zero"', encodePoint(1n, 1)],
    ['the identity encoded with y + p', encodePoint(1n + P)],
    ['y = 2^255 - 1, above p', new Uint8Array(32).fill(0xff)],
  ])('refuses %s', (_, bytes) => {
    expect(isValidPublicKey(bytes)).toBe(false);
  });

  it('refuses a y that is not on the curve', () => {
    // y = 2 has no matching x on edwards25519 (checked by noble's decompression).
    expect(isValidPublicKey(encodePoint(2n))).toBe(false);
  });

  it.each([31, 33])('refuses %i bytes', (length) => {
    expect(isValidPublicKey(new Uint8Array(length).fill(1))).toBe(false);
  });

  it('refuses what is not a byte array', () => {
    expect(isValidPublicKey('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')).toBe(false);
  });
});
