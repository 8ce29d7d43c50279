/**
 * A short, stable name for a public key, for logs and signer ids: base64url of the first 12
 * bytes of SHA-256 over the raw key (16 characters, 96 bits: enough that two keys of one mesh
 * never share an id by chance, short enough for a log line or a NATS header).
 */
import { PUBLIC_KEY_LENGTH, assertKeyLength, toBase64Url, toArrayBufferView } from './encoding.js';
import type { PublicKeyBytes } from './types.js';

const KEY_ID_BYTES = 12;
/** Length in characters of a key id. */
export const KEY_ID_LENGTH = 16;

/** The key id of a 32-byte Ed25519 public key; throws MeshError BAD_KEY on any other length. */
export async function keyId(publicKey: PublicKeyBytes): Promise<string> {
  assertKeyLength(publicKey, PUBLIC_KEY_LENGTH, 'Ed25519 public key');
  const digest = await crypto.subtle.digest('SHA-256', toArrayBufferView(publicKey));
  return toBase64Url(new Uint8Array(digest, 0, KEY_ID_BYTES));
}
