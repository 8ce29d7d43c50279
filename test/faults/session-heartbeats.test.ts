// Session-keyed heartbeats end to end (docs/adr/0004): a daemon-built agent and the real lead
// on real NATS and SQLite. The agent signs its first beat, opens a session in the background
// and tags its beats from then on; a restarted lead knows no session, tells the agent so
// (SESSION_UNKNOWN), and the agent opens a new one after a random delay; a revoked agent loses
// its session and cannot open another; an agent in ed25519 mode signs every beat.
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../packages/pi-daemon/test/support/deadline.js';
import type { RealAgent } from '../../packages/pi-daemon/test/support/real-agent.js';
import type { LeadFixture } from '../../packages/cluster-lead/test/support/lead-fixture.js';
import { makeTempDir, startNats, type NatsServer, type TempDir } from '../harness/index.js';
import { startEnrolledAgent, startRealClockLead } from './support.js';

let nats: NatsServer;
let dir: TempDir;
let fx: LeadFixture;
let agent: RealAgent;
/** The lead asks for the agents' test interval, so a restart is noticed within a second. */
const FAST = { heartbeat: { interval_ms: 300 } };

beforeAll(async () => {
  nats = await startNats();
  dir = await makeTempDir('mesh30k-session-');
});
afterAll(async () => {
  await nats.dispose();
  await dir.dispose();
});
afterEach(async () => {
  await agent.close();
  await fx.close();
});

describe('session-keyed heartbeats between a real agent and a real lead', () => {
  it('opens a session and tags beats; after a lead restart, SESSION_UNKNOWN and a new session', async () => {
    fx = await startRealClockLead(nats.url, FAST);
    agent = await startEnrolledAgent(fx, nats.url, 'pi-s1', `${dir.path}/s1`);
    await waitFor(() => fx.lead.counters.acceptedInSession >= 3, 'three tagged beats accepted');
    const first = agent.agent.heartbeatSession;
    expect(first).toBeDefined();
    // The first beat after boot waited for the session (its HELLO was the sign of life): none went signed.
    expect(fx.lead.counters.accepted).toBe(fx.lead.counters.acceptedInSession);
    expect(fx.lead.counters.sessionsOpened).toBe(1);

    await fx.restart();
    await waitFor(() => agent.events('heartbeat.session_lost').some((l) => l.code === 'SESSION_UNKNOWN'), 'the agent told its session is unknown');
    await waitFor(() => fx.lead.counters.acceptedInSession >= 2, 'tagged beats accepted by the restarted lead');
    expect(agent.agent.heartbeatSession).toBeDefined();
    expect(agent.agent.heartbeatSession).not.toBe(first);
    expect(fx.lead.counters.refusedBy('SESSION_UNKNOWN')).toBeGreaterThanOrEqual(1);
    expect(agent.agent.running).toBe(true);
  });

  it('a revoked agent loses its session at once and opens no other', async () => {
    fx = await startRealClockLead(nats.url, FAST);
    agent = await startEnrolledAgent(fx, nats.url, 'pi-s2', `${dir.path}/s2`);
    await waitFor(() => agent.agent.heartbeatSession !== undefined && fx.lead.counters.acceptedInSession >= 1, 'a tagged beat accepted');
    fx.lead.trust.revokeAgent('pi-s2');
    await waitFor(() => agent.events('heartbeat.session_lost').length > 0, 'the session dropped');
    await waitFor(() => fx.lead.counters.handshakesRefusedBy('NOT_ENROLLED') + fx.lead.counters.handshakesRefusedBy('ENROLLMENT_REVOKED') >= 1, 'a new handshake refused');
    expect(agent.agent.heartbeatSession).toBeUndefined();
  });

  it('an agent in ed25519 mode signs every beat and opens no session', async () => {
    fx = await startRealClockLead(nats.url, FAST);
    agent = await startEnrolledAgent(fx, nats.url, 'pi-s3', `${dir.path}/s3`, {}, 'ed25519');
    await waitFor(() => fx.lead.counters.accepted >= 3, 'three beats accepted');
    expect(fx.lead.counters.sessionsOpened).toBe(0);
    expect(fx.lead.counters.acceptedInSession).toBe(0);
    expect(agent.agent.heartbeatSession).toBeUndefined();
  });
});
