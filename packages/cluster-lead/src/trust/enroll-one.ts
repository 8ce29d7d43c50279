/** POST /v1/enrollments and DELETE /v1/enrollments/:agent_id: one enrollment in or out, saved. */
import { verifyEnrollment, type Clock, type TrustStore } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { LeadStore } from '../store/index.js';
import { saveTrust } from './trust-setup.js';

export interface EnrollDeps {
  readonly clock: Clock;
  readonly store: LeadStore;
  readonly trust: TrustStore;
  readonly roots: readonly Uint8Array[];
}

export type EnrollOutcome =
  | { readonly ok: true; readonly agentId: string; readonly expiresAt: number }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Verifies a signed enrollment against the mesh roots, adds it to the trust store, saves both. */
export async function enrollOne(deps: EnrollDeps, signed: unknown): Promise<EnrollOutcome> {
  const verified = await verifyEnrollment(nodeEd25519, deps.roots, signed, deps.clock);
  if (!verified.ok) return { ok: false, code: verified.error.code, message: verified.error.message };
  const added = deps.trust.add(verified.value);
  if (!added.ok) return { ok: false, code: added.error.code, message: added.error.message };
  const record = verified.value.record;
  deps.store.enrollments.putAll([{ publicKey: record.public_key, agentId: record.agent_id, signed: verified.value.signed }], deps.clock.now());
  saveTrust(deps.store, deps.trust);
  return { ok: true, agentId: record.agent_id, expiresAt: record.expires_at };
}

/** Revokes every key of the agent (again is fine); false when the trust store never knew it. */
export function revokeOne(deps: EnrollDeps, agentId: string): boolean {
  const known = deps.trust.lookup(agentId);
  if (!known.ok && known.error.code === 'NOT_ENROLLED') return false;
  deps.trust.revokeAgent(agentId);
  saveTrust(deps.store, deps.trust);
  return true;
}
