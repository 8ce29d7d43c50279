import { z } from 'zod';
import { MeshError, err, ok } from '../lib/errors.js';
import type { MeshErrorCode, Result } from '../lib/errors.js';
import { Base64Url } from '../protocol/primitives.js';
import { SIGNATURE_LENGTH, fromBase64Url, toBase64Url } from '../signing/encoding.js';
import type { Ed25519, PublicKeyBytes, Signer } from '../signing/types.js';

/**
 * A record signed by a third party (enrollment, enrollment request, key rotation). The record
 * is serialised to UTF-8 JSON exactly once, by the signer; those bytes travel as base64url
 * beside the signature and the id of the signing key, so any holder can store the envelope
 * and verify it again later without re-serialising. Same shape as the protocol's SignedBlob.
 */
export const MAX_SIGNED_RECORD_CHARS = 16_384;
const SIGNATURE_CHARS = Math.ceil((SIGNATURE_LENGTH * 4) / 3);

export const SignedRecord = z.object({
  bytes: Base64Url.min(1).max(MAX_SIGNED_RECORD_CHARS),
  signature: Base64Url.length(SIGNATURE_CHARS),
  signer_key_id: z.string().min(1).max(64),
});
export type SignedRecord = z.infer<typeof SignedRecord>;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Serialises `record` once and signs those bytes. The caller has validated `record`. */
export async function sealRecord(signer: Signer, signerKeyId: string, record: unknown, what: string): Promise<Result<SignedRecord>> {
  const bytes = encoder.encode(JSON.stringify(record));
  const text = toBase64Url(bytes);
  if (text.length > MAX_SIGNED_RECORD_CHARS) {
    return err(new MeshError('INVALID_FIELDS', `${what} is ${bytes.length} bytes once serialised; too large to sign`));
  }
  const signature = await signer.sign(bytes);
  return ok({ bytes: text, signature: toBase64Url(signature), signer_key_id: signerKeyId });
}

export interface OpenedRecord {
  /** The parsed JSON, not yet validated against the record's schema. */
  raw: unknown;
  signerKeyId: string;
  envelope: SignedRecord;
}

export interface OpenOptions {
  ed25519: Ed25519;
  /** Names the record in error messages ("enrollment", "key rotation"). */
  what: string;
  /** Finds the key named by signer_key_id, or says why it is not acceptable. */
  resolveKey: (signerKeyId: string) => Result<PublicKeyBytes>;
  /** Code for a signature that does not verify. */
  badSignature: MeshErrorCode;
}

/**
 * Checks the envelope, verifies the signature over the carried bytes and only then decodes
 * them as UTF-8 JSON: nothing unauthenticated reaches JSON.parse. Never throws.
 */
export async function openRecord(envelope: unknown, options: OpenOptions): Promise<Result<OpenedRecord>> {
  const { what } = options;
  const shape = SignedRecord.safeParse(envelope);
  if (!shape.success) return err(fieldsError(`signed ${what}`, shape.error));
  const signed = shape.data;

  const key = options.resolveKey(signed.signer_key_id);
  if (!key.ok) return key;
  const bytes = decodeBase64Url(signed.bytes);
  const signature = decodeBase64Url(signed.signature);
  if (bytes === undefined || signature === undefined) {
    return err(new MeshError('INVALID_FIELDS', `signed ${what} is not canonical base64url`, { path: bytes ? 'signature' : 'bytes' }));
  }
  if (!(await options.ed25519.verify(key.value, bytes, signature))) {
    return err(new MeshError(options.badSignature, `${what} signature does not verify under key "${signed.signer_key_id}"`, { path: 'signature' }));
  }

  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return err(new MeshError('NOT_UTF8', `${what} bytes are not valid UTF-8`, { path: 'bytes' }));
  }
  try {
    return ok({ raw: JSON.parse(text) as unknown, signerKeyId: signed.signer_key_id, envelope: signed });
  } catch {
    return err(new MeshError('MALFORMED_JSON', `${what} bytes are not JSON`, { path: 'bytes' }));
  }
}

/** Validates `raw` against `schema`; problems come back as INVALID_FIELDS naming the field. */
export function parseFields<S extends z.ZodType>(schema: S, raw: unknown, what: string): Result<z.infer<S>> {
  const parsed = schema.safeParse(raw);
  return parsed.success ? ok(parsed.data) : err(fieldsError(what, parsed.error));
}

/** One INVALID_FIELDS error whose path and message name the first problem, and count the rest. */
export function fieldsError(what: string, error: z.ZodError): MeshError {
  const [first, ...rest] = error.issues;
  const path = first ? first.path.map(String).join('.') : '';
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  return new MeshError('INVALID_FIELDS', `${what}.${path || '(root)'}: ${first?.message ?? 'invalid'}${more}`, { path });
}

/** base64url to bytes, or undefined when the text is not canonical base64url. Never throws. */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  try {
    return fromBase64Url(text);
  } catch {
    return undefined;
  }
}
