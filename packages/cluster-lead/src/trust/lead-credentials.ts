/**
 * What trust.root_key_path and trust.lead_enrollment point at, checked at start: a root key
 * that is not one of the mesh roots, or an enrollment that does not vouch for this lead's key,
 * is a configuration error naming the field.
 */
import { readFile } from 'node:fs/promises';
import { publicKeyText, verifyEnrollment, type Clock, type KeyPair, type SignedRecord } from '@mesh30k/shared';
import { loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { LeadError, describeError } from '../lib/errors.js';
import type { LeadIdentity } from './lead-identity.js';

export async function loadRootKey(path: string, rootPublicKeys: readonly string[]): Promise<KeyPair> {
  let keys: KeyPair;
  try {
    keys = await loadKeyPair(path);
  } catch (cause) {
    throw new LeadError('KEY_UNREADABLE', `trust.root_key_path ${path}: ${describeError(cause)}`, { cause });
  }
  if (!rootPublicKeys.includes(publicKeyText(keys.publicKey))) {
    throw new LeadError('CONFIG_INVALID', `trust.root_key_path ${path}: its public key is not in trust.root_public_keys`);
  }
  return keys;
}

export async function loadLeadEnrollment(path: string, roots: readonly Uint8Array[], identity: LeadIdentity, clock: Clock): Promise<SignedRecord> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new LeadError('CONFIG_INVALID', `trust.lead_enrollment ${path}: ${describeError(cause)}`, { cause });
  }
  const verified = await verifyEnrollment(nodeEd25519, roots, raw, clock);
  if (!verified.ok) throw new LeadError('CONFIG_INVALID', `trust.lead_enrollment ${path}: ${verified.error.code}: ${verified.error.message}`);
  const { record } = verified.value;
  if (record.role !== 'lead' || record.agent_id !== identity.leadId || record.public_key !== identity.publicKeyText) {
    throw new LeadError('CONFIG_INVALID', `trust.lead_enrollment ${path}: it enrolls "${record.agent_id}" (${record.role}) with another key; it must be this lead's (${identity.leadId}, role lead, key_path's key)`);
  }
  return verified.value.signed;
}
