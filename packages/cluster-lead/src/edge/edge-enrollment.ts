/**
 * A Worker enrolled by the mesh root, like every other agent: its registration is derived from
 * a root-signed enrollment (class A, role agent) and the URL it serves, so the operator never
 * types a raw key. The lead then probes it over HTTPS as before.
 */
import { verifyEnrollment, type Clock, type PublicKeyBytes } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { EdgeAgentInput } from './edge-agent.js';

export type EdgeEnrollmentOutcome = { ok: true; registration: EdgeAgentInput } | { ok: false; code: string; message: string };

export async function registrationFromEnrollment(roots: readonly PublicKeyBytes[], clock: Clock, url: string, enrollment: unknown): Promise<EdgeEnrollmentOutcome> {
  const verified = await verifyEnrollment(nodeEd25519, roots, enrollment, clock);
  if (!verified.ok) return { ok: false, code: verified.error.code, message: verified.error.message };
  const { record } = verified.value;
  if (record.class !== 'A' || record.role !== 'agent') {
    return { ok: false, code: 'NOT_AN_EDGE_AGENT', message: `the enrollment of "${record.agent_id}" is for class ${record.class}, role ${record.role}; a Worker is class A, role agent` };
  }
  return { ok: true, registration: { agent_id: record.agent_id, url, class: 'A', capabilities: [...record.capabilities], cluster_id: record.cluster_id, public_key: record.public_key } };
}
