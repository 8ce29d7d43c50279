/** The lead's identity and the mesh's trust: roots, enrolled keys, and the enrollment desk. */
import type { Clock } from '@mesh30k/shared';
import type { LeadConfig } from '../config/index.js';
import type { EventBus } from '../lib/events.js';
import type { Logger } from '../lib/logger.js';
import type { LeadStore } from '../store/index.js';
import { EnrollmentDesk, TrustCache, loadLeadEnrollment, loadLeadIdentity, loadRootKey, setUpTrust, trustedKeyResolver } from '../trust/index.js';

export interface TrustDeps {
  readonly config: LeadConfig;
  readonly clock: Clock;
  readonly store: LeadStore;
  readonly events: EventBus;
  readonly logger: Logger;
  /** With config `ha`: the lease epoch the identity stamps on what the lead sends with authority. */
  readonly leaseEpoch?: () => number | null;
}

export async function buildTrust({ config, clock, store, events, logger, leaseEpoch }: TrustDeps) {
  const trustLog = logger.child({ domain: 'trust' });
  const loaded = await loadLeadIdentity(config.lead_id, config.key_path);
  const identity = leaseEpoch === undefined ? loaded : { ...loaded, leaseEpoch };
  const { trust, roots } = await setUpTrust({ clock, store, logger: trustLog }, { rootPublicKeys: config.trust.root_public_keys, enrollmentsPath: config.trust.enrollments });
  const enrollmentDesk = new EnrollmentDesk({
    clock,
    store,
    trust,
    roots,
    events,
    logger: trustLog,
    leadId: config.lead_id,
    rootKey: config.trust.root_key_path === undefined ? undefined : await loadRootKey(config.trust.root_key_path, config.trust.root_public_keys),
    leadEnrollment: config.trust.lead_enrollment === undefined ? undefined : await loadLeadEnrollment(config.trust.lead_enrollment, roots, identity, clock),
    ...(leaseEpoch === undefined ? {} : { holdsLease: () => leaseEpoch() !== null }),
  });
  // Per-message lookups go through the cache; every change to the store invalidates it.
  const trustCache = new TrustCache(trust, () => clock.now());
  return { identity, trust, trustCache, roots, resolveKey: trustedKeyResolver(trustCache), enrollmentDesk };
}

export type LeadTrust = Awaited<ReturnType<typeof buildTrust>>;
