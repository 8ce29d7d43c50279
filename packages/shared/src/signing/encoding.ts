/**
 * Byte encodings used on the wire and in key files, without Buffer so that workerd runs the
 * same code. base64url is the unpadded RFC 4648 section 5 alphabet; decoding is strict (one
 * canonical text per byte string) so that two spellings of one key can never both be accepted.
 */
import { MeshError } from '../lib/errors.js';

/** Length in bytes of an Ed25519 public key. */
export const PUBLIC_KEY_LENGTH = 32;
/** Length in bytes of an Ed25519 private key (the RFC 8032 seed). */
export const PRIVATE_KEY_LENGTH = 32;
/** Length in bytes of an Ed25519 signature. */
export const SIGNATURE_LENGTH = 64;

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const NOT_IN_ALPHABET = 255;
const HEX_DIGITS = '0123456789abcdef';

const base64UrlValues = buildBase64UrlValues();

function buildBase64UrlValues(): Uint8Array {
  const values = new Uint8Array(128).fill(NOT_IN_ALPHABET);
  for (let i = 0; i < BASE64URL_ALPHABET.length; i++) values[BASE64URL_ALPHABET.charCodeAt(i)] = i;
  return values;
}

const invalid = (what: string): MeshError => new MeshError('INVALID_ARGUMENT', what);

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64URL_ALPHABET[n >>> 18]! + BASE64URL_ALPHABET[(n >>> 12) & 63]! + BASE64URL_ALPHABET[(n >>> 6) & 63]! + BASE64URL_ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += BASE64URL_ALPHABET[n >>> 18]! + BASE64URL_ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += BASE64URL_ALPHABET[n >>> 18]! + BASE64URL_ALPHABET[(n >>> 12) & 63]! + BASE64URL_ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

/**
 * Decodes unpadded base64url. Throws MeshError INVALID_ARGUMENT on padding, characters outside
 * the alphabet, an impossible length or non-zero trailing bits.
 */
export function fromBase64Url(text: string): Uint8Array {
  // A length of 1 mod 4 cannot come from any byte string.
  if (text.length % 4 === 1) throw invalid(`base64url text has an impossible length (${text.length})`);
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? base64UrlValues[code]! : NOT_IN_ALPHABET;
    if (value === NOT_IN_ALPHABET) throw invalid(`base64url text has an invalid character at ${i}`);
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >>> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) throw invalid('base64url text is not canonical (trailing bits set)');
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX_DIGITS[byte >>> 4]! + HEX_DIGITS[byte & 15]!;
  return out;
}

/** Decodes hex (either case). Throws MeshError INVALID_ARGUMENT on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw invalid(`hex text has an odd length (${hex.length})`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const high = hexValue(hex.charCodeAt(2 * i));
    const low = hexValue(hex.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) throw invalid(`hex text has an invalid digit near ${2 * i}`);
    out[i] = (high << 4) | low;
  }
  return out;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/** True when `value` is a Uint8Array of exactly `length` bytes; never throws. */
export function hasLength(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

/** Throws MeshError BAD_KEY unless `key` is a Uint8Array of exactly `length` bytes. */
export function assertKeyLength(key: unknown, length: number, what: string): asserts key is Uint8Array {
  if (!hasLength(key, length)) {
    const actual = key instanceof Uint8Array ? `${key.length} bytes` : typeof key;
    throw new MeshError('BAD_KEY', `${what} must be ${length} bytes, got ${actual}`);
  }
}

/** Byte-wise equality; not constant time, so compare only public data with it. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The same bytes typed as backed by a plain ArrayBuffer, which WebCrypto's BufferSource requires
 * (TypeScript 5.9 lib types; WebCrypto also refuses views of a SharedArrayBuffer). Copies only
 * when the view sits on some other buffer.
 */
export function toArrayBufferView(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
