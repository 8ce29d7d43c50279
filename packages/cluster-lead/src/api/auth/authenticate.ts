/**
 * Checks the Authorization header of one request against the configured operators: a
 * Mesh-Ed25519 signed request (signature over the exact body bytes, timestamp within the skew,
 * nonce not seen before) or an `mt1` bearer token. Never throws; a refusal names its reason.
 */
import {
  API_AUTH_MAX_SKEW_MS,
  API_AUTH_SCHEME,
  API_TOKEN_MAX_TTL_MS,
  apiRequestSigningBytes,
  parseApiAuthorization,
  parseApiToken,
  type Ed25519,
  type OperatorRole,
} from '@mesh30k/shared';
import type { NonceCache } from './nonce-cache.js';
import type { OperatorDirectory } from './operator-directory.js';

export type AuthFailureReason =
  | 'NO_OPERATORS'
  | 'MISSING'
  | 'MALFORMED'
  | 'UNKNOWN_OPERATOR'
  | 'BAD_SIGNATURE'
  | 'CLOCK_SKEW'
  | 'REPLAYED_NONCE'
  | 'TOKEN_EXPIRED';

export interface Caller {
  readonly operatorId: string;
  readonly role: OperatorRole;
  readonly method: 'signature' | 'token';
}

export type AuthOutcome =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly reason: AuthFailureReason; readonly message: string; readonly operatorId?: string };

export interface AuthDeps {
  readonly operators: OperatorDirectory;
  readonly ed25519: Ed25519;
  readonly nonces: NonceCache;
  readonly now: () => number;
  readonly skewMs?: number;
}

export interface AuthRequest {
  readonly method: string;
  readonly pathAndQuery: string;
  readonly authorization: string | undefined;
  /** The exact body bytes; read only for signed requests. */
  readonly body: () => Promise<Uint8Array>;
}

const fail = (reason: AuthFailureReason, message: string, operatorId?: string): AuthOutcome => ({ ok: false, reason, message, ...(operatorId === undefined ? {} : { operatorId }) });

/** `read` < `operator`: a token never gives more than the operator's configured role. */
const lower = (a: OperatorRole, b: OperatorRole): OperatorRole => (a === 'read' || b === 'read' ? 'read' : 'operator');

export async function authenticate(deps: AuthDeps, request: AuthRequest): Promise<AuthOutcome> {
  if (deps.operators.size === 0) {
    return fail('NO_OPERATORS', 'this lead has no API operators configured: generate a key with `mesh-lead operator-key --out <file>` and add the printed entry to api.operators in the lead config');
  }
  const header = request.authorization?.trim();
  if (header === undefined || header === '') return fail('MISSING', `send an Authorization header: ${API_AUTH_SCHEME} (a signed request) or Bearer (a token from mesh-lead api-token)`);
  if (header.startsWith('Bearer ')) return checkToken(deps, header.slice('Bearer '.length).trim());
  if (header.startsWith(`${API_AUTH_SCHEME} `)) return checkSignature(deps, request, header);
  return fail('MALFORMED', `unknown Authorization scheme; use ${API_AUTH_SCHEME} or Bearer`);
}

async function checkSignature(deps: AuthDeps, request: AuthRequest, header: string): Promise<AuthOutcome> {
  const parsed = parseApiAuthorization(header);
  if (!parsed.ok) return fail('MALFORMED', `Authorization: ${parsed.error.message}`);
  const { operatorId, timestamp, nonce, signature } = parsed.value;
  const operator = deps.operators.get(operatorId);
  if (operator === undefined) return fail('UNKNOWN_OPERATOR', `operator "${operatorId}" is not in api.operators of this lead`, operatorId);
  const skew = deps.skewMs ?? API_AUTH_MAX_SKEW_MS;
  const now = deps.now();
  if (Math.abs(now - timestamp) > skew) {
    return fail('CLOCK_SKEW', `ts is ${now - timestamp} ms from the lead's clock (allowed ${skew}); check the client's clock`, operatorId);
  }
  const bytes = apiRequestSigningBytes({ method: request.method, pathAndQuery: request.pathAndQuery, timestamp, nonce, body: await request.body() });
  if (!(await deps.ed25519.verify(operator.publicKey, bytes, signature))) {
    return fail('BAD_SIGNATURE', 'the signature does not match this request (method, path with query, ts, nonce and exact body bytes) and the operator key', operatorId);
  }
  // Only a verified request may use up a nonce, so nobody can burn another's nonces.
  if (!deps.nonces.remember(operatorId, nonce, timestamp + skew, now)) {
    return fail('REPLAYED_NONCE', 'this nonce was already used; send a fresh random nonce with every request', operatorId);
  }
  return { ok: true, caller: { operatorId, role: operator.role, method: 'signature' } };
}

async function checkToken(deps: AuthDeps, token: string): Promise<AuthOutcome> {
  const parsed = parseApiToken(token);
  if (!parsed.ok) return fail('MALFORMED', `bearer token: ${parsed.error.message}`);
  const { claims, signingBytes, signature } = parsed.value;
  const operator = deps.operators.get(claims.sub);
  if (operator === undefined) return fail('UNKNOWN_OPERATOR', `operator "${claims.sub}" is not in api.operators of this lead`, claims.sub);
  if (!(await deps.ed25519.verify(operator.publicKey, signingBytes, signature))) {
    return fail('BAD_SIGNATURE', `the token is not signed by the key configured for "${claims.sub}"`, claims.sub);
  }
  const now = deps.now();
  if (claims.exp <= now) return fail('TOKEN_EXPIRED', `the token expired at ${new Date(claims.exp).toISOString()}; make a new one with mesh-lead api-token`, claims.sub);
  if (claims.exp - claims.iat > API_TOKEN_MAX_TTL_MS || claims.iat > now + (deps.skewMs ?? API_AUTH_MAX_SKEW_MS)) {
    return fail('MALFORMED', 'token lifetime out of range (issued in the future, or longer than 30 days)', claims.sub);
  }
  return { ok: true, caller: { operatorId: claims.sub, role: lower(claims.role, operator.role), method: 'token' } };
}
