import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { waitFor } from '../support/deadline.js';
import { createTestMesh, type TestMesh } from '../support/fixtures.js';
import { MinimalLead } from '../support/minimal-lead.js';
import { startEnrolledFleet } from '../support/sim-fleet.js';

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

const startSessionFleet = (name: string, count: number, idPrefix: string) => startEnrolledFleet(nats.url, mesh, { name, count, idPrefix, auth: 'session' });

describe('simulation mode with heartbeat sessions', () => {
  it('each virtual agent opens one session and its beats after that are tagged and answered', async () => {
    const { fleet, supervisor } = await startSessionFleet('sim-session', 20, 'sess');
    try {
      await waitFor(() => fleet.agents.every((v) => v.agent.stats().sessionsOpened === 1 && v.agent.stats().heartbeatsSent >= 5), 'five answered beats per agent after its session opened', 15_000);
      const totals = fleet.totals();
      expect(totals.heartbeatsMissed).toBe(0);
      expect(lead.sessionsOpened).toBe(20);
    } finally {
      await fleet.stop();
      await supervisor.stop();
    }
  });

  it('a lead that no longer holds the sessions (restart, failover) is sent the refused beat again at once, signed: no beat is missed', async () => {
    const { fleet, supervisor } = await startSessionFleet('sim-session-lost', 5, 'lost');
    try {
      await waitFor(() => fleet.agents.every((v) => v.agent.stats().sessionsOpened === 1 && v.agent.stats().heartbeatsSent >= 3), 'three answered beats per agent in its session', 15_000);
      const missedBefore = fleet.totals().heartbeatsMissed;
      lead.dropSessions();
      // Each agent's next tagged beat is refused SESSION_UNKNOWN; the same beat, signed, is answered, and a new session opens.
      await waitFor(() => fleet.agents.every((v) => v.agent.stats().sessionsOpened === 2 && v.agent.stats().heartbeatsSent >= 6), 'a second session per agent and beats answered meanwhile', 15_000);
      expect(fleet.totals().heartbeatsMissed).toBe(missedBefore);
    } finally {
      await fleet.stop();
      await supervisor.stop();
    }
  });

  it('a lead that says when to come back (retry_after_ms with SESSION_UNKNOWN) gets no signed beat: each agent opens its new session after the wait', async () => {
    const { fleet, supervisor } = await startSessionFleet('sim-session-paced', 5, 'paced');
    const signedBeats = () => fleet.agents.reduce((sum, v) => sum + (lead.signedBeatsFrom.get(v.profile.agentId) ?? 0), 0);
    try {
      await waitFor(() => fleet.agents.every((v) => v.agent.stats().sessionsOpened === 1 && v.agent.stats().heartbeatsSent >= 3), 'three answered beats per agent in its session', 15_000);
      const signedBefore = signedBeats();
      lead.sessionUnknownRetryAfterMs = 300;
      lead.dropSessions();
      await waitFor(() => fleet.agents.every((v) => v.agent.stats().sessionsOpened === 2 && v.agent.stats().heartbeatsSent >= 5), 'a second session per agent, and beats in it answered', 15_000);
      expect(signedBeats()).toBe(signedBefore);
      expect(fleet.totals().missedByReason['REFUSED_UNSIGNED:SESSION_UNKNOWN']).toBe(5);
    } finally {
      lead.sessionUnknownRetryAfterMs = undefined;
      await fleet.stop();
      await supervisor.stop();
    }
  });
});
