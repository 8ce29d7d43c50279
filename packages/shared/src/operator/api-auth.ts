/**
 * How an operator proves who it is to a lead's management API. Two forms, both made with the
 * operator's Ed25519 key, so there is no password or shared secret to leak or default:
 *
 * - a signed request: `Authorization: Mesh-Ed25519 id=<operator>, ts=<ms>, nonce=<n>, sig=<b64url>`,
 *   the signature covering the method, path with query, timestamp, nonce and the exact body
 *   bytes. The lead refuses a timestamp outside its skew allowance and a nonce seen before.
 * - a bearer token derived from the key (`mesh token`): `Authorization: Bearer mt1.<claims>.<sig>`
 *   with the operator id, role and expiry inside, for curl and scripts.
 *
 * Only the bytes to sign and the header formats live here (no I/O); the lead checks keys,
 * roles, clocks and replays.
 */
import { z } from 'zod';
import { err, MeshError, ok, type Result } from '../lib/errors.js';
import { Id } from '../protocol/primitives.js';
import { fromBase64Url, SIGNATURE_LENGTH, toBase64Url } from '../signing/encoding.js';
import type { Signer } from '../signing/types.js';

export const API_AUTH_SCHEME = 'Mesh-Ed25519';
export const API_TOKEN_PREFIX = 'mt1';
/** How far a signed request's timestamp may sit from the lead's clock. */
export const API_AUTH_MAX_SKEW_MS = 60_000;
/** The longest a derived token may live. */
export const API_TOKEN_MAX_TTL_MS = 30 * 24 * 3_600_000;

/** `operator` may change the mesh; `read` may only look. */
export const OperatorRole = z.enum(['operator', 'read']);
export type OperatorRole = z.infer<typeof OperatorRole>;

export const ApiNonce = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8-64 base64url characters');

const REQUEST_DOMAIN = 'mesh30k-api-request-v1';
const TOKEN_DOMAIN = 'mesh30k-api-token-v1';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface ApiRequestParts {
  method: string;
  /** Path and query exactly as sent, e.g. `/v1/agents?state=active`. */
  pathAndQuery: string;
  timestamp: number;
  nonce: string;
  /** The exact body bytes; empty for none. */
  body: Uint8Array;
}

/** The bytes a signed request's signature covers. */
export function apiRequestSigningBytes(parts: ApiRequestParts): Uint8Array {
  const head = encoder.encode(`${REQUEST_DOMAIN}\n${parts.method.toUpperCase()}\n${parts.pathAndQuery}\n${parts.timestamp}\n${parts.nonce}\n`);
  const bytes = new Uint8Array(head.length + parts.body.length);
  bytes.set(head);
  bytes.set(parts.body, head.length);
  return bytes;
}

export interface ApiSignature {
  operatorId: string;
  timestamp: number;
  nonce: string;
  signature: Uint8Array;
}

/** Signs one request and returns the Authorization header value. */
export async function signApiRequest(signer: Signer, operatorId: string, parts: ApiRequestParts): Promise<string> {
  const signature = await signer.sign(apiRequestSigningBytes(parts));
  return formatApiAuthorization({ operatorId, timestamp: parts.timestamp, nonce: parts.nonce, signature });
}

export function formatApiAuthorization(auth: ApiSignature): string {
  return `${API_AUTH_SCHEME} id=${auth.operatorId}, ts=${auth.timestamp}, nonce=${auth.nonce}, sig=${toBase64Url(auth.signature)}`;
}

const SignatureFields = z.strictObject({
  id: Id,
  ts: z.string().regex(/^\d{1,16}$/, 'must be a timestamp in milliseconds').transform(Number),
  nonce: ApiNonce,
  sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a 64-byte base64url signature'),
});

/** Parses a `Mesh-Ed25519 ...` header value. Never throws. */
export function parseApiAuthorization(header: string): Result<ApiSignature> {
  if (!header.startsWith(`${API_AUTH_SCHEME} `)) return err(new MeshError('UNSIGNED', `expected the ${API_AUTH_SCHEME} scheme`));
  const fields: Record<string, string> = {};
  for (const part of header.slice(API_AUTH_SCHEME.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return err(new MeshError('INVALID_FIELDS', `malformed parameter "${part.trim()}": expected name=value`));
    fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const parsed = SignatureFields.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return err(new MeshError('INVALID_FIELDS', `${issue?.path.join('.') || 'authorization'}: ${issue?.message ?? 'invalid'}`, { path: issue?.path.join('.') }));
  }
  const signature = decodeSignature(parsed.data.sig);
  if (signature === undefined) return err(new MeshError('INVALID_FIELDS', 'sig: must be a 64-byte base64url signature', { path: 'sig' }));
  return ok({ operatorId: parsed.data.id, timestamp: parsed.data.ts, nonce: parsed.data.nonce, signature });
}

function decodeSignature(text: string): Uint8Array | undefined {
  try {
    const bytes = fromBase64Url(text);
    return bytes.length === SIGNATURE_LENGTH ? bytes : undefined;
  } catch {
    return undefined;
  }
}

export const ApiTokenClaims = z.strictObject({
  /** The operator id the token speaks for. */
  sub: Id,
  role: OperatorRole,
  /** Issued and expiry times, ms since the epoch. */
  iat: z.number().int().nonnegative(),
  exp: z.number().int().positive(),
});
export type ApiTokenClaims = z.infer<typeof ApiTokenClaims>;

function tokenSigningBytes(claimsText: string): Uint8Array {
  return encoder.encode(`${TOKEN_DOMAIN}\n${claimsText}`);
}

/** A bearer token signed by the operator's key: `mt1.<claims>.<signature>`. */
export async function issueApiToken(signer: Signer, claims: ApiTokenClaims): Promise<string> {
  const claimsText = toBase64Url(encoder.encode(JSON.stringify(ApiTokenClaims.parse(claims))));
  const signature = await signer.sign(tokenSigningBytes(claimsText));
  return `${API_TOKEN_PREFIX}.${claimsText}.${toBase64Url(signature)}`;
}

export interface ParsedApiToken {
  claims: ApiTokenClaims;
  /** What the signature must cover; verify it with the key of `claims.sub`. */
  signingBytes: Uint8Array;
  signature: Uint8Array;
}

/** Parses a token (without the `Bearer ` prefix). Never throws; the signature is not checked here. */
export function parseApiToken(token: string): Result<ParsedApiToken> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== API_TOKEN_PREFIX) return err(new MeshError('INVALID_FIELDS', `a token has the form ${API_TOKEN_PREFIX}.<claims>.<signature>`));
  const [, claimsText = '', signatureText = ''] = parts;
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(fromBase64Url(claimsText)));
  } catch {
    return err(new MeshError('MALFORMED_JSON', 'token claims are not base64url JSON'));
  }
  const claims = ApiTokenClaims.safeParse(raw);
  if (!claims.success) {
    const issue = claims.error.issues[0];
    return err(new MeshError('INVALID_FIELDS', `token claims: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim()));
  }
  const signature = decodeSignature(signatureText);
  if (signature === undefined) return err(new MeshError('INVALID_FIELDS', 'token signature must be a 64-byte base64url signature'));
  return ok({ claims: claims.data, signingBytes: tokenSigningBytes(claimsText), signature });
}
