import { describe, expect, it } from 'vitest';
import {
  assertKeyLength,
  bytesEqual,
  fromBase64Url,
  fromHex,
  hasLength,
  toArrayBufferView,
  toBase64Url,
  toHex,
} from './encoding.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('base64url', () => {
  // RFC 4648 section 10 test vectors, without padding.
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('encodes %j as %j and back', (plain, encoded) => {
    expect(toBase64Url(ascii(plain))).toBe(encoded);
    expect(fromBase64Url(encoded)).toEqual(ascii(plain));
  });

  it('uses the url-safe alphabet', () => {
    const bytes = Uint8Array.of(0xfb, 0xef, 0xff);
    expect(toBase64Url(bytes)).toBe('--__');
    expect(fromBase64Url('--__')).toEqual(bytes);
  });

  it('round-trips every byte value at every length up to 66', () => {
    for (let length = 0; length <= 66; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + length * 13) & 0xff);
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64Url(toBase64Url(all))).toEqual(all);
  });

  it.each([
    ['padding', 'Zg=='],
    ['a standard-alphabet plus', 'ab+c'],
    ['a standard-alphabet slash', 'ab/c'],
    ['whitespace', 'Zm9v Yg'],
    ['a non-ASCII character', 'Zm9é'],
    ['an impossible length', 'Zm9vY'],
    ['non-zero trailing bits', 'Zh'],
  ])('refuses %s with INVALID_ARGUMENT', (_, text) => {
    expect(() => fromBase64Url(text)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('hex', () => {
  it('encodes lower case and decodes either case', () => {
    const bytes = Uint8Array.of(0x00, 0x0f, 0xa5, 0xff);
    expect(toHex(bytes)).toBe('000fa5ff');
    expect(fromHex('000fa5ff')).toEqual(bytes);
    expect(fromHex('000FA5FF')).toEqual(bytes);
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });

  it.each(['abc', 'zz', '0g', ' 0'])('refuses %j with INVALID_ARGUMENT', (text) => {
    expect(() => fromHex(text)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('length checks', () => {
  it('hasLength accepts only a Uint8Array of the exact length', () => {
    expect(hasLength(new Uint8Array(32), 32)).toBe(true);
    expect(hasLength(new Uint8Array(31), 32)).toBe(false);
    expect(hasLength(Array.from({ length: 32 }, () => 0), 32)).toBe(false);
    expect(hasLength(undefined, 32)).toBe(false);
  });

  it('assertKeyLength throws BAD_KEY naming the key and the lengths', () => {
    expect(() => assertKeyLength(new Uint8Array(32), 32, 'test key')).not.toThrow();
    expect(() => assertKeyLength(new Uint8Array(16), 32, 'test key')).toThrow(
      expect.objectContaining({ code: 'BAD_KEY', message: 'test key must be 32 bytes, got 16 bytes' }),
    );
    expect(() => assertKeyLength('abc', 32, 'test key')).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
  });

  it('bytesEqual compares contents and lengths', () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false);
  });
});

describe('toArrayBufferView', () => {
  it('returns a view on a plain ArrayBuffer as it is, offsets included', () => {
    const backing = Uint8Array.of(9, 1, 2, 3, 9);
    const view = backing.subarray(1, 4);
    expect(toArrayBufferView(view)).toBe(view);
    expect(toArrayBufferView(view)).toEqual(Uint8Array.of(1, 2, 3));
  });
});
