import { err, ok, type EnrollmentRecord, type KeyResolver, type PublicKeyBytes, type TrustedSigner } from '@mesh30k/shared';
import type { TrustLookup } from './trust-cache.js';

/** Roles that may heartbeat to a lead: agents, and child leads registering as agents of kind lead. */
const HEARTBEAT_ROLES: ReadonlySet<string> = new Set(['agent', 'lead']);

/**
 * The trusted keys of a signer for verifyAndParse: enrolled, unexpired, unrevoked; two while
 * a rotation overlaps (preferred first). Operator keys do not heartbeat.
 */
export function trustedKeyResolver(trust: TrustLookup): KeyResolver {
  // A cached lookup hands out the same answer object: its key list is then built once.
  const keyLists = new WeakMap<TrustedSigner, readonly PublicKeyBytes[]>();
  return (signerId) => {
    const found = trust.lookup(signerId);
    if (!found.ok) return err({ code: found.error.code, message: found.error.message });
    if (!HEARTBEAT_ROLES.has(found.value.record.role)) {
      return err({ code: 'NOT_ENROLLED', message: `"${signerId}" is enrolled as ${found.value.record.role}, which does not take part in the mesh` });
    }
    let keys = keyLists.get(found.value);
    if (keys === undefined) keyLists.set(found.value, (keys = found.value.keys.map((key) => key.publicKey)));
    return ok(keys);
  };
}

/** The enrollment behind a signer's trusted key, or undefined. */
export function enrollmentOf(trust: TrustLookup, signerId: string): EnrollmentRecord | undefined {
  const found = trust.lookup(signerId);
  return found.ok ? found.value.record : undefined;
}
