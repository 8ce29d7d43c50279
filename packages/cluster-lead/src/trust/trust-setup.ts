import { SignedRecord, TrustStore, TrustStoreSnapshot, decodePublicKey, keyId, verifyEnrollment, type Clock } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { Logger } from '../lib/logger.js';
import type { LeadStore } from '../store/index.js';
import { readEnrollmentFiles } from './enrollment-files.js';

/** lead_state key of the trust store's snapshot (replication follows it). */
export const TRUST_STATE_KEY = 'trust_store';

export interface TrustSetupDeps {
  clock: Clock;
  store: LeadStore;
  logger: Logger;
}

export interface TrustSetupOptions {
  rootPublicKeys: readonly string[];
  enrollmentsPath: string | undefined;
}

export interface TrustSetup {
  trust: TrustStore;
  roots: Uint8Array[];
  added: number;
  refused: number;
  /** Of those added, how many were envelopes this lead had verified before (not verified again). */
  unchanged: number;
}

/**
 * Builds the lead's trust store: the persisted state first (it carries rotations and
 * revocations), then every enrollment from the configured files, each verified against the
 * mesh root keys. Refused enrollments are logged one by one and do not stop the lead.
 */
export async function setUpTrust(deps: TrustSetupDeps, options: TrustSetupOptions): Promise<TrustSetup> {
  const { clock, store, logger } = deps;
  const trust = new TrustStore({ clock });
  const roots = options.rootPublicKeys.map((text) => decodePublicKey(text)!);
  const saved = store.state.get(TRUST_STATE_KEY, TrustStoreSnapshot);
  if (saved !== undefined) {
    const restored = trust.restore(saved);
    if (!restored.ok) logger.warn({ err: restored.error }, 'stored trust state unreadable; rebuilding from enrollments');
  }
  const result: TrustSetup = { trust, roots, added: 0, refused: 0, unchanged: 0 };
  if (options.enrollmentsPath === undefined) return result;
  const counts = await addEnrollmentsFrom(options.enrollmentsPath, { ...deps, trust, roots });
  return { ...result, ...counts };
}

/**
 * Verifies every enrollment under `path` against the mesh roots and adds it to the trust
 * store (again on SIGHUP, so an operator can enroll agents without a restart), then saves
 * the store when anything was added. Refused ones are logged one by one.
 */
export async function addEnrollmentsFrom(
  path: string,
  deps: TrustSetupDeps & { trust: TrustStore; roots: readonly Uint8Array[] },
): Promise<{ added: number; refused: number; unchanged: number }> {
  const { clock, store, logger, trust, roots } = deps;
  const files = await readEnrollmentFiles(path);
  for (const problem of files.problems) logger.warn({ problem }, 'enrollment file unreadable');
  const accepted: { publicKey: string; agentId: string; signed: SignedRecord }[] = [];
  let refused = 0;
  let unchanged = 0;
  const known = store.enrollments.bySignature();
  const rootIds = new Set(await Promise.all(roots.map((root) => keyId(root))));
  for (const item of files.items) {
    // Verified by this lead before, byte for byte, and still trusted: a restart with a big
    // fleet on record skips one Ed25519 verify (and a row rewrite) per agent.
    if (alreadyTrusted(item.value, { known, rootIds, trust })) {
      unchanged++;
      continue;
    }
    const verified = await verifyEnrollment(nodeEd25519, roots, item.value, clock);
    const added = verified.ok ? trust.add(verified.value) : verified;
    if (!added.ok) {
      refused++;
      logger.warn({ source: item.source, code: added.error.code, reason: added.error.message }, 'enrollment refused');
    } else if (verified.ok) {
      accepted.push({ publicKey: verified.value.record.public_key, agentId: verified.value.record.agent_id, signed: verified.value.signed });
    }
  }
  // Nothing added: the store holds what was restored, and a restart with a big fleet on record
  // need not rewrite (and re-replicate) a snapshot of every agent's key.
  if (accepted.length > 0) {
    store.enrollments.putAll(accepted, clock.now());
    saveTrust(store, trust);
  }
  return { added: accepted.length + unchanged, refused, unchanged };
}

/**
 * The envelope is identical (bytes, signature, signer) to one the store holds as verified,
 * its signer is still a configured root, and the trust store trusts its key right now (so it
 * is neither expired nor revoked): verifying it again would change nothing.
 */
function alreadyTrusted(
  value: unknown,
  seen: { known: Map<string, { publicKey: string; signed: SignedRecord }>; rootIds: Set<string>; trust: TrustStore },
): boolean {
  const envelope = SignedRecord.safeParse(value);
  if (!envelope.success) return false;
  const stored = seen.known.get(envelope.data.signature);
  return (
    stored !== undefined &&
    stored.signed.bytes === envelope.data.bytes &&
    stored.signed.signer_key_id === envelope.data.signer_key_id &&
    seen.rootIds.has(envelope.data.signer_key_id) &&
    seen.trust.lookupKey(stored.publicKey).ok
  );
}

export function saveTrust(store: LeadStore, trust: TrustStore): void {
  store.state.set(TRUST_STATE_KEY, trust.snapshot());
}
