/**
 * Which 32-byte strings are acceptable Ed25519 public keys: canonical encodings (y < p, no
 * "negative zero" x) of curve points outside the small-order subgroup. A small-order key lets
 * anyone forge signatures that OpenSSL and BoringSSL accept (the identity point with R =
 * identity, S = 0 verifies any message), so the native implementations check keys with this
 * before importing them, which also makes all three agree with noble's strict mode.
 */
import { Point } from '@noble/ed25519';
import { PUBLIC_KEY_LENGTH, hasLength } from './encoding.js';

/** Strict RFC 8032 decoding, not ZIP-215's lenient one. */
const ZIP215 = false;

/**
 * True for a usable public key. Never throws. Costs a point decompression (about 0.1 ms), so
 * callers run it once per key, at import, not per message.
 */
export function isValidPublicKey(publicKey: unknown): publicKey is Uint8Array {
  if (!hasLength(publicKey, PUBLIC_KEY_LENGTH)) return false;
  try {
    return !Point.fromBytes(publicKey, ZIP215).isSmallOrder();
  } catch {
    return false;
  }
}
