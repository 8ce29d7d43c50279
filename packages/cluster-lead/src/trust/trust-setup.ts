import { TrustStore, TrustStoreSnapshot, decodePublicKey, verifyEnrollment, type Clock, type SignedRecord } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { Logger } from '../lib/logger.js';
import type { LeadStore } from '../store/index.js';
import { readEnrollmentFiles } from './enrollment-files.js';

const TRUST_STATE_KEY = 'trust_store';

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
  const result: TrustSetup = { trust, roots, added: 0, refused: 0 };
  if (options.enrollmentsPath === undefined) return result;
  const counts = await addEnrollmentsFrom(options.enrollmentsPath, { ...deps, trust, roots });
  return { ...result, ...counts };
}

/**
 * Verifies every enrollment under `path` against the mesh roots and adds it to the trust
 * store (again on SIGHUP, so an operator can enroll agents without a restart), then saves
 * the store. Refused ones are logged one by one.
 */
export async function addEnrollmentsFrom(
  path: string,
  deps: TrustSetupDeps & { trust: TrustStore; roots: readonly Uint8Array[] },
): Promise<{ added: number; refused: number }> {
  const { clock, store, logger, trust, roots } = deps;
  const files = await readEnrollmentFiles(path);
  for (const problem of files.problems) logger.warn({ problem }, 'enrollment file unreadable');
  const accepted: { publicKey: string; agentId: string; signed: SignedRecord }[] = [];
  let refused = 0;
  for (const item of files.items) {
    const verified = await verifyEnrollment(nodeEd25519, roots, item.value, clock);
    const added = verified.ok ? trust.add(verified.value) : verified;
    if (!added.ok) {
      refused++;
      logger.warn({ source: item.source, code: added.error.code, reason: added.error.message }, 'enrollment refused');
    } else if (verified.ok) {
      accepted.push({ publicKey: verified.value.record.public_key, agentId: verified.value.record.agent_id, signed: verified.value.signed });
    }
  }
  store.enrollments.putAll(accepted, clock.now());
  saveTrust(store, trust);
  return { added: accepted.length, refused };
}

export function saveTrust(store: LeadStore, trust: TrustStore): void {
  store.state.set(TRUST_STATE_KEY, trust.snapshot());
}
