import { z } from 'zod';
import type { Clock } from '../lib/clock.js';
import { MeshError, err, ok } from '../lib/errors.js';
import type { Result } from '../lib/errors.js';
import { PROTOCOL_VERSION } from '../protocol/enums.js';
import { Base64Url, EpochMs, Id } from '../protocol/primitives.js';
import { SIGNATURE_LENGTH, toBase64Url } from '../signing/encoding.js';
import type { Ed25519, PublicKeyBytes, Signer } from '../signing/types.js';
import { PublicKeyText, decodePublicKey } from './public-key.js';
import { decodeBase64Url, openRecord, parseFields, sealRecord } from './signed-record.js';
import type { SignedRecord } from './signed-record.js';
import type { TrustStore, TrustedKey } from './trust-store.js';

/** Longest overlap a rotation may ask for: long enough for a Pi that was offline a few days. */
export const MAX_ROTATION_OVERLAP_MS = 7 * 24 * 3_600_000;
/** How far effective_at may be ahead of the verifier's clock. */
export const DEFAULT_ROTATION_SKEW_MS = 60_000;
/** Prefix of the bytes the new key signs; keeps that signature from meaning anything else. */
const PROOF_CONTEXT = 'mesh-30k/key-rotation-proof/v1';
const SIGNATURE_CHARS = Math.ceil((SIGNATURE_LENGTH * 4) / 3);

/**
 * An agent's announcement that it replaces its key. Signed by the OLD key (which the store
 * already trusts); `new_key_proof` is the new key's signature over the same terms, so nobody
 * can rotate to a key they do not hold, such as another agent's pending key.
 */
export const KeyRotationRecord = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    agent_id: Id,
    old_public_key: PublicKeyText,
    new_public_key: PublicKeyText,
    effective_at: EpochMs,
    overlap_until: EpochMs,
    new_key_proof: Base64Url.length(SIGNATURE_CHARS),
  })
  .refine((r) => r.new_public_key !== r.old_public_key, { path: ['new_public_key'], message: 'must differ from old_public_key' })
  .refine((r) => r.overlap_until >= r.effective_at, { path: ['overlap_until'], message: 'must not be before effective_at' })
  .refine((r) => r.overlap_until - r.effective_at <= MAX_ROTATION_OVERLAP_MS, {
    path: ['overlap_until'],
    message: `must be at most ${MAX_ROTATION_OVERLAP_MS} ms after effective_at`,
  });
export type KeyRotationRecord = z.infer<typeof KeyRotationRecord>;

/** The terms of a rotation, before the new key's proof is added. */
export type KeyRotationTerms = Omit<KeyRotationRecord, 'new_key_proof'>;

declare const verifiedRotation: unique symbol;

/** A rotation whose signatures and fields have been checked against a trust store. */
export interface VerifiedRotation {
  readonly record: KeyRotationRecord;
  readonly newPublicKey: PublicKeyBytes;
  readonly signed: SignedRecord;
  readonly [verifiedRotation]: true;
}

export interface VerifyRotationOptions {
  /** How far effective_at may be ahead of the clock. Default DEFAULT_ROTATION_SKEW_MS. */
  skewMs?: number;
}

const encoder = new TextEncoder();

/** Signs a rotation: the new key signs the terms as proof, the old key signs the record. */
export async function signRotation(oldSigner: Signer, newSigner: Signer, terms: KeyRotationTerms): Promise<Result<SignedRecord>> {
  const proof = await newSigner.sign(proofBytes(terms));
  const checked = parseFields(KeyRotationRecord, { ...terms, new_key_proof: toBase64Url(proof) }, 'key rotation');
  if (!checked.ok) return checked;
  return sealRecord(oldSigner, checked.value.old_public_key, checked.value, 'key rotation');
}

/**
 * Verifies a signed rotation: signed by a key the store trusts now, naming that key as the
 * old one, with a valid proof from the new key, and acceptable to the store. Never throws.
 */
export async function verifyRotation(
  ed25519: Ed25519,
  store: TrustStore,
  signed: unknown,
  clock: Clock,
  options: VerifyRotationOptions = {},
): Promise<Result<VerifiedRotation>> {
  const opened = await openRecord(signed, {
    ed25519,
    what: 'key rotation',
    badSignature: 'BAD_ROTATION',
    resolveKey: (id) => {
      const trusted = store.lookupKey(id);
      return trusted.ok ? ok(trusted.value.publicKey) : trusted;
    },
  });
  if (!opened.ok) return opened;
  const parsed = parseFields(KeyRotationRecord, opened.value.raw, 'key rotation');
  if (!parsed.ok) return parsed;
  const record = parsed.value;

  if (record.old_public_key !== opened.value.signerKeyId) {
    return err(new MeshError('BAD_ROTATION', 'key rotation must be signed by the old key it names', { path: 'old_public_key' }));
  }
  const newPublicKey = decodePublicKey(record.new_public_key)!;
  const proof = decodeBase64Url(record.new_key_proof);
  if (!proof || !(await ed25519.verify(newPublicKey, proofBytes(record), proof))) {
    return err(new MeshError('BAD_ROTATION', 'new_key_proof is not a signature of the new key over the rotation terms', { path: 'new_key_proof' }));
  }
  const now = clock.now();
  if (record.effective_at > now + (options.skewMs ?? DEFAULT_ROTATION_SKEW_MS)) {
    return err(new MeshError('FROM_THE_FUTURE', `key rotation takes effect at ${record.effective_at}, after now (${now})`, { path: 'effective_at' }));
  }
  const allowed = store.checkRotation(record);
  if (!allowed.ok) return allowed;
  const verified = { record, newPublicKey, signed: opened.value.envelope } as VerifiedRotation;
  return ok(verified);
}

/** Verifies a rotation and applies it to the store; the new key's entry on success. */
export async function rotateKey(
  ed25519: Ed25519,
  store: TrustStore,
  signed: unknown,
  clock: Clock,
  options: VerifyRotationOptions = {},
): Promise<Result<TrustedKey>> {
  const verified = await verifyRotation(ed25519, store, signed, clock, options);
  return verified.ok ? store.applyRotation(verified.value) : verified;
}

/** A JSON array (records are objects), so these bytes can never verify as a record or message. */
function proofBytes(terms: KeyRotationTerms): Uint8Array {
  return encoder.encode(
    JSON.stringify([PROOF_CONTEXT, terms.agent_id, terms.old_public_key, terms.new_public_key, terms.effective_at, terms.overlap_until]),
  );
}
