import { z } from 'zod';
import { PUBLIC_KEY_LENGTH, fromBase64Url, toBase64Url } from '../signing/encoding.js';
import type { PublicKeyBytes } from '../signing/types.js';

/**
 * A raw 32-byte Ed25519 public key as unpadded base64url: 43 characters, and the last one
 * must leave the two spare bits at zero. Only that one spelling is accepted, so a key has one
 * text form and the trust store can index, compare and revoke keys by their text.
 */
const PUBLIC_KEY_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export const PublicKeyText = z
  .string()
  .regex(PUBLIC_KEY_PATTERN, 'must be a 32-byte Ed25519 public key as canonical unpadded base64url (43 characters)');

/** The text form of a public key, as records and the trust store carry it. */
export function publicKeyText(publicKey: PublicKeyBytes): string {
  return toBase64Url(publicKey);
}

/** The bytes of a public key in text form, or undefined when the text is not one. Never throws. */
export function decodePublicKey(text: string): PublicKeyBytes | undefined {
  if (!PUBLIC_KEY_PATTERN.test(text)) return undefined;
  try {
    const bytes = fromBase64Url(text);
    return bytes.length === PUBLIC_KEY_LENGTH ? bytes : undefined;
  } catch {
    return undefined;
  }
}
