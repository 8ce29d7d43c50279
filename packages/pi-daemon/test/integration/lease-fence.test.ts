// Lead fencing on the agent's side, through a real nats-server: virtual agents of a SimFleet keep
// the highest lease epoch their lead has stamped (heartbeat replies, COORDINATE, FREEZE, THAW)
// and refuse anything stamped lower, counting LEASE_FENCED; unstamped messages (a lead without
// HA) pass as before.
import { READY, subjects } from '@mesh30k/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsServer } from '../../../../test/harness/index.js';
import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { SimFleet } from '../../src/sim/fleet.js';
import { waitFor } from '../support/deadline.js';
import type { TestMesh } from '../support/fixtures.js';
import { captureLogger } from '../support/log-capture.js';
import type { MinimalLead } from '../support/minimal-lead.js';
import { startLeadRig, type LeadRig } from '../support/lead-rig.js';

let nats: NatsServer;
let mesh: TestMesh;
let lead: MinimalLead;
let rig: LeadRig;

beforeAll(async () => {
  rig = await startLeadRig();
  ({ nats, mesh, lead } = rig);
});

afterAll(async () => {
  await rig.close();
});

describe('lease epoch fencing in a virtual agent', () => {
  it('refuses a COORDINATE and a FREEZE from a lower lease epoch than seen, and acts on current and unstamped ones', async () => {
    const { logger } = captureLogger('error');
    const supervisor = new NatsSupervisor({ servers: [nats.url], name: 'sim-fence' }, { logger });
    const fleet = await SimFleet.create(
      { lead_id: mesh.leadId, count: 2, id_prefix: 'fence', heartbeat_interval_ms: 150, processing: { median_ms: 5, spread: 0 } },
      { bus: supervisor, leadKeys: mesh.leadKeys, logger },
    );
    await mesh.enroll(fleet.enrollmentSubjects());
    supervisor.start();
    await supervisor.whenConnected();
    fleet.start();
    const agents = fleet.agents.map((v) => v.agent);
    const fenced = () => agents.map((agent) => agent.stats().refusedByCode.LEASE_FENCED ?? 0);
    try {
      // The successor's epoch reaches the agents on its heartbeat replies.
      lead.hints.lease_epoch = 12;
      await waitFor(() => agents.every((agent) => agent.clock.samples() >= 2), 'every virtual agent synced at epoch 12');

      await lead.coordinate({ operation_id: 'op-current', release_mode: 'lead', target_time: lead.now() + 300, lease_epoch: 12 });
      await lead.waitUntil(() => agents.every((agent) => lead.ackFor('op-current', agent.id)?.trinary_state === READY), 5_000, 'READY from both at epoch 12');

      // The paused predecessor's late words: epoch 11, signed with the same lead key.
      await lead.coordinate({ operation_id: 'op-stale', release_mode: 'lead', target_time: lead.now() + 300, lease_epoch: 11 });
      const freeze = await lead.sign({ ...lead.header(), kind: 'FREEZE', scope: 'global', reason: 'stale freeze', lease_epoch: 11 });
      await lead.publishRaw(subjects.control(mesh.leadId), freeze.body, freeze.headers);
      await waitFor(() => fenced().every((count) => count >= 2), 'the stale COORDINATE and FREEZE refused by both');
      expect(agents.every((agent) => !agent.frozen)).toBe(true);

      // A COORDINATE that follows on the same subjects is taken: the stale ones were not merely late.
      await lead.coordinate({ operation_id: 'op-after', release_mode: 'lead', target_time: lead.now() + 300, lease_epoch: 12 });
      await lead.waitUntil(() => agents.every((agent) => lead.ackFor('op-after', agent.id) !== undefined), 5_000, 'ACKs of the COORDINATE after');
      expect(agents.every((agent) => lead.ackFor('op-stale', agent.id) === undefined)).toBe(true);
      // A lead without HA stamps nothing: accepted as ever.
      await lead.coordinate({ operation_id: 'op-plain', release_mode: 'lead', target_time: lead.now() + 300 });
      await lead.waitUntil(() => agents.every((agent) => lead.ackFor('op-plain', agent.id)?.trinary_state === READY), 5_000, 'READY for an unstamped COORDINATE');
      expect(fenced()).toEqual([2, 2]);
    } finally {
      await fleet.stop();
      await supervisor.stop();
    }
  });
});
