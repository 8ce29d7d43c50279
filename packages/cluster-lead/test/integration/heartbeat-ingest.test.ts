import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { INTERVAL_MS, LeadFixture, T0 } from '../support/lead-fixture.js';
import { signedReply } from '../support/test-agents.js';

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats.dispose();
});

describe.each([
  { path: 'inline verification', verifyThreads: 0 },
  { path: 'worker-thread verify pool', verifyThreads: 2 },
])('heartbeat ingest ($path)', ({ verifyThreads }) => {
  let fx: LeadFixture;
  afterEach(async () => {
    await fx.close();
  });

  it('answers a heartbeat with a signed reply carrying t1, t2, t3 and the control hints', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url, verifyThreads });
    const agent = await fx.addAgent({ agentId: 'pi-01', capabilities: ['sensor.read', 'gpio'] });
    fx.clock.set(T0 + 250);

    const { sent, reply } = await agent.heartbeat();

    // verifyReply already checked the lead's signature over the exact bytes.
    expect(reply).toMatchObject({
      kind: 'HEARTBEAT_REPLY',
      sender_id: 'lead-1',
      agent_id: 'pi-01',
      accepted: true,
      t1: sent.t1,
      t2: T0 + 250,
      t3: T0 + 250,
      frozen: false,
      config_epoch: 0,
      heartbeat_interval_ms: INTERVAL_MS,
    });
    expect(reply.reason).toBeUndefined();
    expect(fx.lead.counters.accepted).toBe(1);
  });

  it('records the agent: enrolled identity, reported impedance and its clock estimate', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url, verifyThreads });
    // The heartbeat reports a capability the enrollment does not grant: the lead drops it.
    const agent = await fx.addAgent({ agentId: 'pi-02', agentClass: 'E', capabilities: ['sensor.read'] });
    await agent.heartbeat({
      impedance: { current_latency_ms: 42, impedance_score: 310, capabilities: ['sensor.read', 'camera'] },
      clock: { offset_ms: -250.5, drift_ppm: 12, samples: 6, confidence: 0.8 },
    });

    const view = fx.lead.registry.get('pi-02');
    expect(view).toMatchObject({
      agentId: 'pi-02',
      agentClass: 'E',
      clusterId: 'cluster-1',
      capabilities: ['sensor.read'],
      state: 'active',
      lastHeartbeatAt: T0,
      heartbeats: 1,
      impedance: { latencyMs: 42, impedanceScore: 310 },
      clock: { offsetMs: -250.5, driftPpm: 12, samples: 6, confidence: 0.8 },
    });
    expect(fx.lead.status().agents.by_state.active).toBe(1);
  });

  it('tells an agent of a frozen cluster so in its reply', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url, verifyThreads });
    const agent = await fx.addAgent({ agentId: 'pi-03' });
    expect(signedReply((await agent.heartbeat()).reply).frozen).toBe(false);
    fx.lead.control.setFrozen('cluster', 'cluster-1', true);
    const epoch = fx.lead.control.bumpEpoch();
    const reply = signedReply((await agent.heartbeat()).reply);
    expect(reply.frozen).toBe(true);
    expect(reply.config_epoch).toBe(epoch);
  });

  it('keeps up with many agents heartbeating at once', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url, verifyThreads });
    const agents = await fx.addAgents(Array.from({ length: 40 }, (_, i) => ({ agentId: `pi-${String(i).padStart(3, '0')}` })));
    const replies = await Promise.all(agents.flatMap((agent) => [agent.heartbeat(), agent.heartbeat()]));
    expect(replies.every((r) => r.reply.accepted)).toBe(true);
    expect(fx.lead.counters.accepted).toBe(80);
    expect(fx.lead.registry.status().byState.active).toBe(40);
  });
});
