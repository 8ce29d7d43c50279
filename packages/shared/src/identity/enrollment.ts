import { z } from 'zod';
import type { Clock } from '../lib/clock.js';
import { MeshError, err, ok } from '../lib/errors.js';
import type { Result } from '../lib/errors.js';
import { AgentClass, PROTOCOL_VERSION, Role } from '../protocol/enums.js';
import { Capabilities, EpochMs, Id } from '../protocol/primitives.js';
import { PUBLIC_KEY_LENGTH } from '../signing/encoding.js';
import { KEY_ID_LENGTH, keyId } from '../signing/key-id.js';
import type { Ed25519, PublicKeyBytes, Signer } from '../signing/types.js';
import { PublicKeyText, decodePublicKey } from './public-key.js';
import { openRecord, parseFields, sealRecord } from './signed-record.js';
import type { SignedRecord } from './signed-record.js';

/**
 * How far an enrollment's issued_at may sit ahead of the verifier's clock. The mesh root
 * signs on an operator's machine, and a Pi without a real-time clock can boot behind.
 */
export const DEFAULT_ENROLLMENT_SKEW_MS = 5 * 60_000;

/** Key ids of mesh root keys: the signing module's short hash of the public key. */
export const RootKeyId = z
  .string()
  .regex(new RegExp(`^[A-Za-z0-9_-]{${KEY_ID_LENGTH}}$`), `must be a ${KEY_ID_LENGTH}-character key id`);

/**
 * What the mesh root vouches for: this key belongs to this agent, which may act in this role
 * and class with these capabilities in this cluster, until expires_at. Strict (unknown fields
 * refused) so that bytes signed for one purpose can never parse as another kind of record.
 */
/** Who a key belongs to and what it may do: the fields a request asks for and a record grants. */
export const ENROLLED_IDENTITY_FIELDS = {
  v: z.literal(PROTOCOL_VERSION),
  agent_id: Id,
  public_key: PublicKeyText,
  role: Role,
  class: AgentClass,
  capabilities: Capabilities,
  cluster_id: Id,
  sector_id: Id.optional(),
};

export const EnrollmentRecord = z
  .strictObject({
    ...ENROLLED_IDENTITY_FIELDS,
    issued_at: EpochMs,
    expires_at: EpochMs,
    issuer_key_id: RootKeyId,
  })
  .refine((record) => record.expires_at > record.issued_at, {
    path: ['expires_at'],
    message: 'must be later than issued_at',
  });
export type EnrollmentRecord = z.infer<typeof EnrollmentRecord>;

declare const verifiedEnrollment: unique symbol;

/** An enrollment whose root signature, fields and validity period have been checked. */
export interface VerifiedEnrollment {
  readonly record: EnrollmentRecord;
  readonly publicKey: PublicKeyBytes;
  /** The envelope as verified, for whoever stores or forwards it. */
  readonly signed: SignedRecord;
  readonly [verifiedEnrollment]: true;
}

export interface VerifyEnrollmentOptions {
  /** How far issued_at may be ahead of the clock. Default DEFAULT_ENROLLMENT_SKEW_MS. */
  skewMs?: number;
}

/**
 * Signs an enrollment with a mesh root key. The envelope's signer_key_id is the record's
 * issuer_key_id, which must be the key id of the root key behind `rootSigner`.
 */
export async function issueEnrollment(rootSigner: Signer, record: EnrollmentRecord): Promise<Result<SignedRecord>> {
  const checked = parseFields(EnrollmentRecord, record, 'enrollment');
  if (!checked.ok) return checked;
  return sealRecord(rootSigner, checked.value.issuer_key_id, checked.value, 'enrollment');
}

/**
 * Verifies a signed enrollment against the mesh root keys: signature first, then fields,
 * then the validity period on `clock`. Never throws.
 */
export async function verifyEnrollment(
  ed25519: Ed25519,
  rootPublicKeys: readonly PublicKeyBytes[],
  signed: unknown,
  clock: Clock,
  options: VerifyEnrollmentOptions = {},
): Promise<Result<VerifiedEnrollment>> {
  const roots = await rootsById(rootPublicKeys);
  const opened = await openRecord(signed, {
    ed25519,
    what: 'enrollment',
    badSignature: 'BAD_ENROLLMENT_SIGNATURE',
    resolveKey: (id) => {
      const root = roots.get(id);
      return root
        ? ok(root)
        : err(new MeshError('BAD_ENROLLMENT_SIGNATURE', `enrollment is signed by "${id}", which is not a mesh root key`, { path: 'signer_key_id' }));
    },
  });
  if (!opened.ok) return opened;

  const parsed = parseFields(EnrollmentRecord, opened.value.raw, 'enrollment');
  if (!parsed.ok) return parsed;
  const record = parsed.value;
  if (record.issuer_key_id !== opened.value.signerKeyId) {
    return err(
      new MeshError('SIGNER_MISMATCH', `enrollment names issuer "${record.issuer_key_id}" but was signed by "${opened.value.signerKeyId}"`, {
        path: 'issuer_key_id',
      }),
    );
  }

  const timing = checkValidity(record, clock.now(), options.skewMs ?? DEFAULT_ENROLLMENT_SKEW_MS);
  if (!timing.ok) return timing;
  // The schema guarantees the text is a canonical 32-byte key.
  const publicKey = decodePublicKey(record.public_key)!;
  const verified = { record, publicKey, signed: opened.value.envelope } as VerifiedEnrollment;
  return ok(verified);
}

function checkValidity(record: EnrollmentRecord, now: number, skewMs: number): Result<void> {
  if (record.issued_at > now + skewMs) {
    return err(
      new MeshError('FROM_THE_FUTURE', `enrollment of "${record.agent_id}" is not valid until ${record.issued_at} (now ${now})`, { path: 'issued_at' }),
    );
  }
  if (now >= record.expires_at) {
    return err(
      new MeshError('ENROLLMENT_EXPIRED', `enrollment of "${record.agent_id}" expired at ${record.expires_at} (now ${now})`, { path: 'expires_at' }),
    );
  }
  return ok(undefined);
}

async function rootsById(rootPublicKeys: readonly PublicKeyBytes[]): Promise<Map<string, PublicKeyBytes>> {
  const roots = new Map<string, PublicKeyBytes>();
  for (const key of rootPublicKeys) {
    // A malformed root key cannot verify anything; skip it rather than throw.
    if (!(key instanceof Uint8Array) || key.length !== PUBLIC_KEY_LENGTH) continue;
    roots.set(await keyId(key), key);
  }
  return roots;
}
