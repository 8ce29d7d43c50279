/** The operators a lead's API knows: id -> public key and role, from `api.operators` in the config. */
import { decodePublicKey, type OperatorRole, type PublicKeyBytes } from '@mesh30k/shared';
import { loadPublicKey } from '@mesh30k/shared/node';
import { LeadError, describeError } from '../../lib/errors.js';

export interface OperatorEntry {
  readonly id: string;
  readonly publicKey: PublicKeyBytes;
  readonly role: OperatorRole;
}

export interface OperatorDirectory {
  get(id: string): OperatorEntry | undefined;
  readonly size: number;
}

export interface OperatorConfig {
  readonly id: string;
  readonly public_key?: string | undefined;
  readonly public_key_file?: string | undefined;
  readonly role: OperatorRole;
}

export function operatorDirectory(entries: readonly OperatorEntry[]): OperatorDirectory {
  const byId = new Map(entries.map((e) => [e.id, e]));
  return { get: (id) => byId.get(id), size: byId.size };
}

/** Reads key files once at start; an unreadable one stops the lead (a config mistake, named). */
export async function loadOperatorDirectory(operators: readonly OperatorConfig[]): Promise<OperatorDirectory> {
  const entries: OperatorEntry[] = [];
  for (const op of operators) entries.push({ id: op.id, role: op.role, publicKey: await operatorKey(op) });
  return operatorDirectory(entries);
}

async function operatorKey(op: OperatorConfig): Promise<PublicKeyBytes> {
  if (op.public_key !== undefined) {
    const key = decodePublicKey(op.public_key);
    if (key === undefined) throw new LeadError('CONFIG_INVALID', `api.operators ${op.id}: public_key is not a base64url Ed25519 key`);
    return key;
  }
  const file = op.public_key_file ?? '';
  try {
    return await loadPublicKey(file);
  } catch (cause) {
    throw new LeadError('CONFIG_INVALID', `api.operators ${op.id}: public_key_file ${file}: ${describeError(cause)}`, { cause });
  }
}
