import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { NatsSupervisor } from '../../src/nats/supervisor.js';
import { SimFleet, type VirtualAgent } from '../../src/sim/fleet.js';
import { waitFor } from '../support/deadline.js';
import { createTestMesh, type TestMesh } from '../support/fixtures.js';
import { captureLogger } from '../support/log-capture.js';
import { MinimalLead } from '../support/minimal-lead.js';

// Two virtual agents of one sim, each on its own emulated link. One link stalls its uplink
// for far longer than the estimator's tolerance; the other agent must not notice. Behind one
// shared FIFO (the old harness) the healthy agent's beats would queue behind the stalled ones
// and its offset estimate would move by half the stall.
const LINK = { baseMs: 5, jitterMs: 1 };
const STALL = { baseMs: 600, jitterMs: 1 };
/**
 * Far below half the stall (300 ms), which a shared FIFO would cost, yet loose enough for a
 * loaded test machine, whose late timers shift single exchanges by a few ms.
 */
const HEALTHY_BOUND_MS = 20;

let nats: NatsServer;
let mesh: TestMesh;
let lead: MinimalLead;
let supervisor: NatsSupervisor;
let fleet: SimFleet;

/** The agent's estimate of mesh time minus the true time, now (the lead's clock is the true clock here). */
function offsetError(v: VirtualAgent): number {
  const local = v.clock.now();
  return v.agent.clock.toMesh(local) - v.clock.toBase(local);
}

beforeAll(async () => {
  nats = await startNats();
  mesh = await createTestMesh();
  lead = await MinimalLead.start({ natsUrl: nats.url, leadId: mesh.leadId, keyPair: mesh.lead, trust: mesh.trust });
  const { logger } = captureLogger('error');
  supervisor = new NatsSupervisor({ servers: [nats.url], name: 'sim-links' }, { logger });
  fleet = await SimFleet.create(
    { lead_id: mesh.leadId, count: 2, seed: 7, heartbeat_interval_ms: 150, burst_samples: 4, link: { up: LINK, down: LINK }, clock: { offset_ms: { min: -2_000, max: 2_000 }, drift_ppm: { min: -50, max: 50 } } },
    { bus: supervisor, leadKeys: mesh.leadKeys, logger },
  );
  await mesh.enroll(fleet.enrollmentSubjects());
  supervisor.start();
  await supervisor.whenConnected();
  fleet.start();
  await waitFor(() => fleet.agents.every((v) => v.agent.clock.synced && v.agent.clock.samples() >= 6), 'both agents synced', 20_000);
});

afterAll(async () => {
  await fleet.stop();
  await supervisor.stop();
  await lead.close();
  await nats.dispose();
});

describe('per-agent links in a sim', () => {
  it('gives every agent its own link', () => {
    const [a, b] = fleet.agents;
    expect(a!.link).toBeDefined();
    expect(b!.link).toBeDefined();
    expect(a!.link).not.toBe(b!.link);
    expect(a!.link!.stats().up.sent).toBeGreaterThan(0);
  });

  it('keeps an agent\'s offset estimate when another agent of the same sim sits behind a stalled link', async () => {
    const [stalled, healthy] = fleet.agents as [VirtualAgent, VirtualAgent];
    expect(Math.abs(offsetError(healthy))).toBeLessThan(HEALTHY_BOUND_MS);
    const healthyBefore = healthy.agent.stats().heartbeatsSent;
    const healthyMissedBefore = healthy.agent.stats().heartbeatsMissed;
    const stalledMissedBefore = stalled.agent.stats().heartbeatsMissed;
    stalled.link!.setProfile('up', STALL);
    // Sampled at every heartbeat answer of the healthy agent while the stall lasts.
    const errors: number[] = [];
    let seen = healthyBefore;
    await waitFor(() => {
      const sent = healthy.agent.stats().heartbeatsSent;
      if (sent > seen) {
        seen = sent;
        errors.push(offsetError(healthy));
      }
      return sent >= healthyBefore + 12 && stalled.link!.stats().up.queued > 0;
    }, 'a dozen answered beats of the healthy agent during the stall', 20_000);
    // The stall is real: the stalled agent's messages wait on its link.
    expect(stalled.link!.stats().up.queued).toBeGreaterThan(0);
    expect(healthy.link!.stats().up.queued + healthy.link!.stats().down.queued).toBeLessThanOrEqual(2);
    expect(Math.max(...errors.map(Math.abs))).toBeLessThan(HEALTHY_BOUND_MS);
    expect(healthy.agent.stats().heartbeatsMissed).toBe(healthyMissedBefore);
    // The stalled agent's own beats are the ones that suffered: still pending when the next was due.
    expect(stalled.agent.stats().heartbeatsMissed).toBeGreaterThan(stalledMissedBefore);
    stalled.link!.setProfile('up', LINK);
  });
});
