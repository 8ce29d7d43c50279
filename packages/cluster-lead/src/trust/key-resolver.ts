import { err, ok, type EnrollmentRecord, type KeyResolver, type TrustStore } from '@mesh30k/shared';

/** Roles that may heartbeat to a lead: agents, and child leads registering as agents of kind lead. */
const HEARTBEAT_ROLES: ReadonlySet<string> = new Set(['agent', 'lead']);

/**
 * The trusted keys of a signer for verifyAndParse: enrolled, unexpired, unrevoked; two while
 * a rotation overlaps (preferred first). Operator keys do not heartbeat.
 */
export function trustedKeyResolver(trust: TrustStore): KeyResolver {
  return (signerId) => {
    const found = trust.lookup(signerId);
    if (!found.ok) return err({ code: found.error.code, message: found.error.message });
    if (!HEARTBEAT_ROLES.has(found.value.record.role)) {
      return err({ code: 'NOT_ENROLLED', message: `"${signerId}" is enrolled as ${found.value.record.role}, which does not take part in the mesh` });
    }
    return ok(found.value.keys.map((key) => key.publicKey));
  };
}

/** The enrollment behind a signer's trusted key, or undefined. */
export function enrollmentOf(trust: TrustStore, signerId: string): EnrollmentRecord | undefined {
  const found = trust.lookup(signerId);
  return found.ok ? found.value.record : undefined;
}
