import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import type { AgentEvent } from '../../src/lib/events.js';
import { INTERVAL_MS, LeadFixture, recordEvents } from '../support/lead-fixture.js';

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats.dispose();
});

const agentEvents = (events: ReturnType<typeof recordEvents>, name: AgentEvent['name']) =>
  events.filter((e): e is AgentEvent => e.name === name).map((e) => e.agentId);

describe('liveness over NATS', () => {
  let fx: LeadFixture;
  afterEach(async () => {
    await fx.close();
  });

  it('probes an agent 3 intervals overdue: one that answers stays, one that does not goes offline, then crashed', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url });
    const [silent, alive] = await fx.addAgents([{ agentId: 'pi-silent', answerProbes: false }, { agentId: 'pi-alive' }]);
    await silent!.heartbeat();
    await alive!.heartbeat();
    const events = recordEvents(fx.lead);

    fx.clock.advance(2 * INTERVAL_MS + 1);
    const early = await fx.lead.sweep();
    expect(early).toMatchObject({ factor: 1, probesStarted: 0, declaredOffline: 0 });
    expect(fx.lead.registry.get('pi-silent')?.missedBeats).toBe(2);

    fx.clock.advance(INTERVAL_MS);
    const due = await fx.lead.sweep();
    expect(due).toMatchObject({ probesStarted: 2, probesAnswered: 1, declaredOffline: 1 });
    expect(alive!.probesAnswered).toBe(1);
    expect(fx.lead.registry.get('pi-alive')).toMatchObject({ state: 'active', missedBeats: 0, probe: { state: 'idle' } });
    expect(fx.lead.registry.get('pi-silent')?.state).toBe('offline');
    expect(agentEvents(events, 'agent.offline')).toEqual(['pi-silent']);
    expect(agentEvents(events, 'agent.probed')).toEqual(['pi-alive']);
    expect(agentEvents(events, 'agent.crashed')).toEqual([]);

    // Silent for 30 s: AGENT_CRASH, reported once.
    fx.clock.advance(30_000 - 3 * INTERVAL_MS);
    expect((await fx.lead.sweep()).crashed).toBe(1);
    expect((await fx.lead.sweep()).crashed).toBe(0);
    expect(agentEvents(events, 'agent.crashed')).toEqual(['pi-silent']);

    // It comes back.
    await silent!.heartbeat();
    expect(fx.lead.registry.get('pi-silent')?.state).toBe('active');
    expect(agentEvents(events, 'agent.online')).toEqual(['pi-silent']);
  });

  it('widens deadlines while the lead has just restarted', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url, config: { guard: { restart_grace_ms: 60_000, timeout_factor: 2 } } });
    const agent = await fx.addAgent({ agentId: 'pi-quiet', answerProbes: false });
    await agent.heartbeat();

    fx.clock.advance(3 * INTERVAL_MS + 1);
    const widened = await fx.lead.sweep();
    expect(widened).toMatchObject({ factor: 2, guardReasons: ['restart'], probesStarted: 0 });
    expect(fx.lead.registry.get('pi-quiet')?.state).toBe('active');

    fx.clock.advance(3 * INTERVAL_MS);
    expect(await fx.lead.sweep()).toMatchObject({ factor: 2, declaredOffline: 1 });
    expect(fx.lead.status().guard).toEqual({ factor: 2, reasons: ['restart'] });
  });

  it('widens deadlines while its own event loop lags, and narrows them again after the lag grace', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url, config: { guard: { lag_threshold_ms: 200, lag_grace_ms: 20_000 } } });
    const agent = await fx.addAgent({ agentId: 'pi-lagged', answerProbes: false });
    await agent.heartbeat();
    const events = recordEvents(fx.lead);

    fx.lag.lagMs = 450;
    fx.clock.advance(3 * INTERVAL_MS + 1);
    expect(await fx.lead.sweep()).toMatchObject({ factor: 2, guardReasons: ['event-loop-lag'], probesStarted: 0 });
    fx.lag.lagMs = 0;
    fx.clock.advance(20_000);
    expect(await fx.lead.sweep()).toMatchObject({ factor: 1, declaredOffline: 1 });
    expect(events.map((e) => e.name).filter((n) => n.startsWith('guard.'))).toEqual(['guard.widened', 'guard.normal']);
  });
});
