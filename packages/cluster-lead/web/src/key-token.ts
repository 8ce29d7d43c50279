/**
 * The operator's bearer token made in the page from the console's key file, byte for byte what
 * `mesh-lead api-token` makes (shared's issueApiToken: `mt1.<claims>.<signature>`), so the
 * private key never leaves the browser; only the token is sent to the lead.
 * No DOM here: the unit test runs it in Node against issueApiToken.
 */
import { getPublicKey, hashes, sign } from '@noble/ed25519';
import { sha512 } from './sha512.js';

// Synchronous SHA-512 of our own: noble's default needs crypto.subtle, absent over plain http.
hashes.sha512 = sha512;

const TOKEN_DOMAIN = 'mesh30k-api-token-v1';
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const encoder = new TextEncoder();
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export type TokenRole = 'operator' | 'read';

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += B64URL[(n >> (18 - 6 * k)) & 63];
  }
  return out;
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error('is not unpadded base64url');
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const ch of text) {
    value = ((value << 6) | B64URL.indexOf(ch)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

/** Reads a key pair file (`{ kty, private_key, public_key }`) as the console does; throws naming the field. */
export function parseKeyFile(text: string): Uint8Array {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('the key file is not JSON; pick the private key file written by mesh-lead operator-key');
  }
  if (typeof json !== 'object' || json === null) throw new Error('the key file is not a JSON object');
  const file = json as Record<string, unknown>;
  const extra = Object.keys(file).filter((k) => k !== 'kty' && k !== 'private_key' && k !== 'public_key');
  if (extra.length > 0) throw new Error(`the key file has unexpected member ${extra[0]}`);
  if (file.kty !== 'ed25519') throw new Error('kty: must be "ed25519"');
  if (typeof file.private_key !== 'string') throw new Error('private_key: missing; this is a public key file, pick the private one');
  if (typeof file.public_key !== 'string') throw new Error('public_key: missing');
  const privateKey = decodeKey(file.private_key, 'private_key');
  const publicKey = decodeKey(file.public_key, 'public_key');
  if (toBase64Url(getPublicKey(privateKey)) !== toBase64Url(publicKey)) throw new Error('public_key: does not belong to private_key');
  return privateKey;
}

function decodeKey(text: string, field: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(text);
  } catch (error) {
    throw new Error(`${field}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (bytes.length !== 32) throw new Error(`${field}: must decode to 32 bytes, got ${bytes.length}`);
  return bytes;
}

export interface TokenClaims {
  sub: string;
  role: TokenRole;
  iat: number;
  exp: number;
}

/** `mt1.<claims>.<signature>`; the claims in the order shared's schema writes them. */
export function makeApiToken(privateKey: Uint8Array, claims: TokenClaims): string {
  if (!ID.test(claims.sub)) throw new Error('operator id: 1-64 letters, digits, "_" or "-"');
  const claimsText = toBase64Url(encoder.encode(JSON.stringify({ sub: claims.sub, role: claims.role, iat: claims.iat, exp: claims.exp })));
  const signature = sign(encoder.encode(`${TOKEN_DOMAIN}\n${claimsText}`), privateKey);
  return `mt1.${claimsText}.${toBase64Url(signature)}`;
}
