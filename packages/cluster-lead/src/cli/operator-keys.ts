/**
 * `mesh-lead operator-key` (a key pair for the management API, and the config entry to add)
 * and `mesh-lead api-token` (a signed bearer token for curl and scripts).
 */
import { API_TOKEN_MAX_TTL_MS, Id, OperatorRole, issueApiToken, publicKeyText } from '@mesh30k/shared';
import { generateKeyFile, loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { LeadError, describeError } from '../lib/errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `12h`, `7d` -> milliseconds; at most the token limit (30 days). */
export function parseTtl(text: string): number {
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  const ms = match === null ? NaN : Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? NaN);
  if (!(ms > 0 && ms <= API_TOKEN_MAX_TTL_MS)) throw new LeadError('USAGE', `--ttl must be a duration like 15m, 12h or 7d, at most 30d (got "${text}")`);
  return ms;
}

function checkedRole(role: string | undefined): OperatorRole {
  const parsed = OperatorRole.safeParse(role ?? 'operator');
  if (!parsed.success) throw new LeadError('USAGE', `--role must be operator or read (got "${role}")`);
  return parsed.data;
}

function checkedId(id: string): string {
  if (!Id.safeParse(id).success) throw new LeadError('USAGE', `--id must be 1-64 letters, digits, "_" or "-" (got "${id}")`);
  return id;
}

/** Writes a new key pair (never over an existing file) and returns the text to print. */
export async function createOperatorKey(input: { out: string; id?: string | undefined; role?: string | undefined }): Promise<string> {
  const id = checkedId(input.id ?? 'operator');
  const role = checkedRole(input.role);
  let keys;
  try {
    keys = await generateKeyFile(input.out);
  } catch (cause) {
    throw new LeadError('USAGE', `cannot write ${input.out}: ${describeError(cause)}`, { cause });
  }
  const entry = JSON.stringify({ id, public_key: publicKeyText(keys.publicKey), role });
  return `Wrote the operator's private key to ${input.out} (mode 0600); keep it off the lead.\nAdd this entry to api.operators in the lead config:\n${entry}\n`;
}

/** A bearer token for `id`, signed with the operator's private key file. */
export async function createApiToken(input: { keyPath: string; id: string; role?: string | undefined; ttl: string; now: number }): Promise<string> {
  const id = checkedId(input.id);
  const role = checkedRole(input.role);
  const ttlMs = parseTtl(input.ttl);
  let keys;
  try {
    keys = await loadKeyPair(input.keyPath);
  } catch (cause) {
    throw new LeadError('KEY_UNREADABLE', `operator key ${input.keyPath}: ${describeError(cause)}`, { cause });
  }
  return issueApiToken(nodeEd25519.signerSync(keys.privateKey), { sub: id, role, iat: input.now, exp: input.now + ttlMs });
}
