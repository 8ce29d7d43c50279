/**
 * The root's side of enrollment: a verified request becomes a root-signed enrollment, with what
 * the agent asked for optionally narrowed or changed by the operator. Shared by
 * `mesh-lead enroll`, the lead's own `accept` (when it holds the root key) and the console.
 */
import { enrollmentFromRequest, issueEnrollment, keyId, type AgentClass, type EnrollmentRecord, type EnrollmentRequest, type KeyPair, type Result, type Role, type SignedRecord } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';

const DAY_MS = 86_400_000;
export const DEFAULT_ENROLLMENT_DAYS = 365;
export const MAX_ENROLLMENT_DAYS = 3650;

/** What the operator may change from the request; every value already validated. */
export interface EnrollmentOverrides {
  expiresDays?: number | undefined;
  agentClass?: AgentClass | undefined;
  capabilities?: string[] | undefined;
  clusterId?: string | undefined;
  sectorId?: string | undefined;
  role?: Role | undefined;
}

export async function signRequest(root: KeyPair, request: EnrollmentRequest, now: number, overrides: EnrollmentOverrides = {}): Promise<Result<SignedRecord>> {
  const days = overrides.expiresDays ?? DEFAULT_ENROLLMENT_DAYS;
  const asked = enrollmentFromRequest(request, { issued_at: now, expires_at: now + days * DAY_MS, issuer_key_id: await keyId(root.publicKey) });
  const record: EnrollmentRecord = {
    ...asked,
    class: overrides.agentClass ?? asked.class,
    capabilities: overrides.capabilities ?? asked.capabilities,
    cluster_id: overrides.clusterId ?? asked.cluster_id,
    role: overrides.role ?? asked.role,
  };
  if (overrides.sectorId !== undefined) record.sector_id = overrides.sectorId;
  return issueEnrollment(nodeEd25519.signerSync(root.privateKey), record);
}
