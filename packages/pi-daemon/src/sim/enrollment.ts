import { MeshError, PROTOCOL_VERSION, SignedRecord, TrustStore, issueEnrollment, keyId, publicKeyText, verifyEnrollment } from '@mesh30k/shared';
import type { AgentClass, Clock, Ed25519, KeyPair, PublicKeyBytes, Role, Signer } from '@mesh30k/shared';
import { z } from 'zod';

/** Default validity of enrollments the simulator issues: long enough for any benchmark run. */
export const SIM_ENROLLMENT_TTL_MS = 7 * 24 * 3600 * 1000;

/** What to enroll: one identity (a virtual agent, or a test's real agent or lead). */
export interface EnrollmentSubject {
  agentId: string;
  publicKey: PublicKeyBytes;
  role?: Role;
  agentClass: AgentClass;
  capabilities: readonly string[];
  clusterId: string;
  sectorId?: string;
}

/** One line of an enrollment file: who, their key, and the record the mesh root signed. */
export const EnrollmentEntry = z.object({
  agent_id: z.string(),
  public_key: z.string(),
  enrollment: SignedRecord,
});
export type EnrollmentEntry = z.infer<typeof EnrollmentEntry>;
export const EnrollmentFile = z.object({ root_public_key: z.string(), enrollments: z.array(EnrollmentEntry) });
export type EnrollmentFile = z.infer<typeof EnrollmentFile>;

/**
 * Signs enrollment records for the given identities with a mesh root key, so a lead (or the
 * minimal lead of the tests) can trust the simulator's virtual agents. The root signer is
 * the operator's; the simulator never invents a root of its own.
 */
export async function issueEnrollments(
  root: { signer: Signer; publicKey: PublicKeyBytes },
  subjects: readonly EnrollmentSubject[],
  options: { issuedAt: number; ttlMs?: number },
): Promise<EnrollmentFile> {
  const issuer = await keyId(root.publicKey);
  const enrollments: EnrollmentEntry[] = [];
  for (const subject of subjects) {
    const signed = await issueEnrollment(root.signer, {
      v: PROTOCOL_VERSION,
      agent_id: subject.agentId,
      public_key: publicKeyText(subject.publicKey),
      role: subject.role ?? 'agent',
      class: subject.agentClass,
      capabilities: [...subject.capabilities],
      cluster_id: subject.clusterId,
      ...(subject.sectorId === undefined ? {} : { sector_id: subject.sectorId }),
      issued_at: options.issuedAt,
      expires_at: options.issuedAt + (options.ttlMs ?? SIM_ENROLLMENT_TTL_MS),
      issuer_key_id: issuer,
    });
    if (!signed.ok) throw signed.error;
    enrollments.push({ agent_id: subject.agentId, public_key: publicKeyText(subject.publicKey), enrollment: signed.value });
  }
  return { root_public_key: publicKeyText(root.publicKey), enrollments };
}

/** Verifies every enrollment of a file against the root keys and loads them into a trust store. */
export async function trustStoreFrom(
  ed25519: Ed25519,
  rootPublicKeys: readonly PublicKeyBytes[],
  file: EnrollmentFile,
  clock: Clock,
): Promise<TrustStore> {
  const store = new TrustStore({ clock });
  for (const entry of file.enrollments) {
    const verified = await verifyEnrollment(ed25519, rootPublicKeys, entry.enrollment, clock);
    if (!verified.ok) throw new MeshError(verified.error.code, `enrollment of ${entry.agent_id}: ${verified.error.message}`);
    const added = store.add(verified.value);
    if (!added.ok) throw added.error;
  }
  return store;
}

export type { KeyPair };
