/**
 * Identities for tests: a mesh root, a lead key pair, agents enrolled by the root, and a
 * lead resolver pinned to the lead's key, as a daemon's config would pin it.
 */
import { TrustStore, verifyEnrollment } from '@mesh30k/shared';
import type { AgentClass, KeyPair } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { pinnedKeyResolver } from '../../src/agent/lead-keys.js';
import { trueClock } from '../../src/clock/true-clock.js';
import { issueEnrollments, type EnrollmentFile, type EnrollmentSubject } from '../../src/sim/enrollment.js';

export interface TestMesh {
  root: KeyPair;
  lead: KeyPair;
  leadId: string;
  leadKeys: ReturnType<typeof pinnedKeyResolver>;
  /** Every identity enrolled so far; give it to the lead. */
  trust: TrustStore;
  /** Enrolls identities with the root, adds them to `trust`, and returns the enrollment file. */
  enroll(subjects: readonly EnrollmentSubject[]): Promise<EnrollmentFile>;
}

export async function createTestMesh(leadId = 'lead-1'): Promise<TestMesh> {
  const root = await nodeEd25519.generateKeyPair();
  const lead = await nodeEd25519.generateKeyPair();
  const trust = new TrustStore({ clock: trueClock });
  return {
    root,
    lead,
    leadId,
    leadKeys: pinnedKeyResolver(new Map([[leadId, lead.publicKey]])),
    trust,
    async enroll(subjects) {
      const file = await issueEnrollments({ signer: nodeEd25519.signerSync(root.privateKey), publicKey: root.publicKey }, subjects, {
        issuedAt: Date.now() - 60_000,
      });
      for (const entry of file.enrollments) {
        const verified = await verifyEnrollment(nodeEd25519, [root.publicKey], entry.enrollment, trueClock);
        if (!verified.ok) throw verified.error;
        const added = trust.add(verified.value);
        if (!added.ok) throw added.error;
      }
      return file;
    },
  };
}

export async function agentIdentity(
  agentId: string,
  options: { agentClass?: AgentClass; capabilities?: string[]; clusterId?: string } = {},
): Promise<{ keyPair: KeyPair; subject: EnrollmentSubject }> {
  const keyPair = await nodeEd25519.generateKeyPair();
  return {
    keyPair,
    subject: {
      agentId,
      publicKey: keyPair.publicKey,
      agentClass: options.agentClass ?? 'E',
      capabilities: options.capabilities ?? ['sensor.read'],
      clusterId: options.clusterId ?? 'cluster-1',
      sectorId: 'sector-1',
    },
  };
}
