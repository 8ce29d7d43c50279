import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { waitFor } from '../support/deadline.js';
import { createTestMesh, type TestMesh } from '../support/fixtures.js';
import { MinimalLead } from '../support/minimal-lead.js';
import { startEnrolledFleet } from '../support/sim-fleet.js';

// A lead that sheds load (OVERLOADED with retry_after_ms) must not be sent signed beats it would
// only shed again: each costs it an Ed25519 verify it has no time for (issue 15, a fleet of
// 20,000 that never got into session).

let nats: NatsServer;
let mesh: TestMesh;
let lead: MinimalLead;

beforeAll(async () => {
  nats = await startNats();
  mesh = await createTestMesh();
  lead = await MinimalLead.start({ natsUrl: nats.url, leadId: mesh.leadId, keyPair: mesh.lead, trust: mesh.trust, sessions: {} });
});

afterAll(async () => {
  await lead?.close();
  await nats?.dispose();
});

const startFleet = (name: string, count: number, idPrefix: string, auth: 'session' | 'ed25519') => startEnrolledFleet(nats.url, mesh, { name, count, idPrefix, auth });

const signedBeatsFrom = (prefix: string) => [...lead.signedBeatsFrom].filter(([agentId]) => agentId.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0);

describe('agents facing a lead that sheds', () => {
  it('an agent sends no signed beat while its handshake is pending or was shed: it waits out retry_after_ms, opens its session, then beats tagged', async () => {
    lead.shed.hellos = 4;
    lead.shed.retryAfterMs = 400;
    const { fleet, supervisor } = await startFleet('shed-hello', 4, 'shh', 'session');
    try {
      await waitFor(() => fleet.agents.every((v) => v.agent.stats().sessionsOpened === 1 && v.agent.stats().heartbeatsSent >= 3), 'a session and three answered beats per agent', 15_000);
      const totals = fleet.totals();
      expect(lead.shed.hellos).toBe(0);
      expect(totals.sessionHandshakesFailed).toBe(4);
      // Beats fell due while each agent waited (handshake in flight, then the lead's retry_after_ms).
      expect(totals.heldByReason.AWAITING_SESSION ?? 0).toBeGreaterThanOrEqual(4);
      expect(signedBeatsFrom('shh')).toBe(0);
    } finally {
      await fleet.stop();
      await supervisor.stop();
    }
  });

  it('after a signed beat was shed, the next signed beats are held back until the lead\'s retry_after_ms has passed', async () => {
    lead.shed.signedBeats = 3;
    lead.shed.retryAfterMs = 600;
    const { fleet, supervisor } = await startFleet('shed-beat', 3, 'shb', 'ed25519');
    try {
      await waitFor(() => fleet.agents.every((v) => v.agent.stats().heartbeatsSent >= 3), 'three answered beats per agent', 15_000);
      const totals = fleet.totals();
      expect(totals.missedByReason['REFUSED_UNSIGNED:OVERLOADED']).toBe(3);
      // Interval 200 ms, retry_after 600 ms x 0.5-1.5: at least one beat fell due in each agent's wait.
      expect(totals.heldByReason.LEAD_BUSY ?? 0).toBeGreaterThanOrEqual(3);
      expect(signedBeatsFrom('shb')).toBeGreaterThanOrEqual(9);
    } finally {
      await fleet.stop();
      await supervisor.stop();
    }
  });

  it('an agent whose tagged beat was shed keeps its session and goes on beating tagged', async () => {
    const { fleet, supervisor } = await startFleet('shed-tagged', 3, 'sht', 'session');
    try {
      await waitFor(() => fleet.agents.every((v) => v.agent.stats().sessionsOpened === 1 && v.agent.stats().heartbeatsSent >= 2), 'a session and two answered beats per agent', 15_000);
      lead.shed.taggedBeats = 3;
      lead.shed.retryAfterMs = 600;
      await waitFor(() => lead.shed.taggedBeats === 0, 'three tagged beats shed', 15_000);
      const sentBefore = fleet.agents.map((v) => v.agent.stats().heartbeatsSent);
      await waitFor(() => fleet.agents.every((v, i) => v.agent.stats().heartbeatsSent >= sentBefore[i]! + 2), 'two more answered beats per agent', 15_000);
      const totals = fleet.totals();
      expect(totals.missedByReason['REFUSED_UNSIGNED:OVERLOADED']).toBe(3);
      // OVERLOADED says the lead is behind, not that it lost the session: none was opened again.
      for (const v of fleet.agents) expect(v.agent.stats().sessionsOpened).toBe(1);
      expect(signedBeatsFrom('sht')).toBe(0);
    } finally {
      await fleet.stop();
      await supervisor.stop();
    }
  });
});
