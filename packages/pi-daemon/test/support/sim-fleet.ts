import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { SimFleet } from '../../src/sim/fleet.js';
import type { TestMesh } from './fixtures.js';
import { captureLogger } from './log-capture.js';

export interface StartedFleet {
  fleet: SimFleet;
  supervisor: NatsSupervisor;
}

/** An enrolled, started fleet of `count` virtual agents beating every 200 ms over its own connection. */
export async function startEnrolledFleet(
  natsUrl: string,
  mesh: TestMesh,
  options: { name: string; count: number; idPrefix: string; auth: 'session' | 'ed25519' },
): Promise<StartedFleet> {
  const { logger } = captureLogger('error');
  const supervisor = new NatsSupervisor({ servers: [natsUrl], name: options.name }, { logger });
  const fleet = await SimFleet.create(
    { lead_id: mesh.leadId, count: options.count, id_prefix: options.idPrefix, heartbeat_interval_ms: 200, heartbeat_auth: options.auth },
    { bus: supervisor, leadKeys: mesh.leadKeys, logger, tuning: { shutdownGraceMs: 200 } },
  );
  await mesh.enroll(fleet.enrollmentSubjects());
  supervisor.start();
  await supervisor.whenConnected();
  fleet.start();
  return { fleet, supervisor };
}
