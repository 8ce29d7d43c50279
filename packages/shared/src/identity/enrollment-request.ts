import { z } from 'zod';
import { MeshError, err, ok } from '../lib/errors.js';
import type { Result } from '../lib/errors.js';
import { EpochMs } from '../protocol/primitives.js';
import type { Ed25519, Signer } from '../signing/types.js';
import { ENROLLED_IDENTITY_FIELDS, type EnrollmentRecord } from './enrollment.js';
import { decodePublicKey } from './public-key.js';
import { openRecord, parseFields, sealRecord } from './signed-record.js';
import type { SignedRecord } from './signed-record.js';

/**
 * What `keygen` prints for the operator: the new key and what the agent asks to be enrolled
 * as. It is signed by the key it names, which proves the requester holds the private key.
 * Strict for the same reason as EnrollmentRecord: no cross-purpose parsing of signed bytes.
 */
export const EnrollmentRequest = z.strictObject({
  ...ENROLLED_IDENTITY_FIELDS,
  created_at: EpochMs,
});
export type EnrollmentRequest = z.infer<typeof EnrollmentRequest>;

/** Signs a request with the key it names; signer_key_id is that public key's text. */
export async function createEnrollmentRequest(agentSigner: Signer, request: EnrollmentRequest): Promise<Result<SignedRecord>> {
  const checked = parseFields(EnrollmentRequest, request, 'enrollment request');
  if (!checked.ok) return checked;
  return sealRecord(agentSigner, checked.value.public_key, checked.value, 'enrollment request');
}

/** Verifies that a request is signed by the key it names, then checks its fields. Never throws. */
export async function verifyEnrollmentRequest(ed25519: Ed25519, signed: unknown): Promise<Result<EnrollmentRequest>> {
  const opened = await openRecord(signed, {
    ed25519,
    what: 'enrollment request',
    badSignature: 'BAD_SIGNATURE',
    resolveKey: (id) => {
      const key = decodePublicKey(id);
      return key
        ? ok(key)
        : err(new MeshError('BAD_KEY', 'an enrollment request must name its own public key as signer_key_id', { path: 'signer_key_id' }));
    },
  });
  if (!opened.ok) return opened;
  const parsed = parseFields(EnrollmentRequest, opened.value.raw, 'enrollment request');
  if (!parsed.ok) return parsed;
  if (parsed.value.public_key !== opened.value.signerKeyId) {
    return err(new MeshError('SIGNER_MISMATCH', 'enrollment request names a different key from the one that signed it', { path: 'public_key' }));
  }
  return parsed;
}

export interface EnrollmentTerms {
  issued_at: number;
  expires_at: number;
  issuer_key_id: string;
}

/**
 * The record an operator would sign for a verified request. Callers may override what was
 * asked for (class, capabilities, cluster) before issuing; issueEnrollment validates the result.
 */
export function enrollmentFromRequest(request: EnrollmentRequest, terms: EnrollmentTerms): EnrollmentRecord {
  const { created_at: _createdAt, ...asked } = request;
  return { ...asked, ...terms };
}
