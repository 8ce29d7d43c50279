import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { INTERVAL_MS, LeadFixture } from '../support/lead-fixture.js';

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats.dispose();
});

describe('lead restart', () => {
  let fx: LeadFixture;
  afterEach(async () => {
    await fx.close();
  });

  it('comes back with its open and half-open breakers (written on change, not on a timer)', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url });
    expect((await fx.api.post('/v1/breakers/cluster-9/force', { state: 'open', scope: 'cluster' })).status).toBe(200);
    expect((await fx.api.post('/v1/breakers/sector-3/force', { state: 'auto', scope: 'sector' })).status).toBe(200);
    const stored = () => fx.lead.store.state.get('breakers', z.array(z.object({ target_id: z.string(), state: z.string() })));
    expect(stored()).toEqual(expect.arrayContaining([expect.objectContaining({ target_id: 'cluster-9', state: 'open' }), expect.objectContaining({ target_id: 'sector-3', state: 'half-open' })]));
    await fx.restart();
    const states = Object.fromEntries(fx.lead.breakers.list().map((b) => [b.targetId, b.state]));
    expect(states).toMatchObject({ 'cluster-9': 'open', 'sector-3': 'half-open' });
    // Closed by the operator: forgotten by the next start.
    fx.lead.breakers.apply('cluster', 'cluster-9', 'CLOSE', 'test');
    fx.lead.breakers.apply('sector', 'sector-3', 'CLOSE', 'test');
    expect(stored()).toEqual([]);
    await fx.restart();
    expect(fx.lead.breakers.list().filter((b) => b.state !== 'closed')).toEqual([]);
  });

  it('comes back with its registry: impedance, clock, learned processing and quarantine', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url, config: { registry: { quarantine_max_share: 0.5 } } });
    const agents = await fx.addAgents([{ agentId: 'pi-1' }, { agentId: 'pi-2', agentClass: 'C' }, { agentId: 'pi-3' }]);
    for (let beat = 0; beat < 4; beat++) {
      for (const agent of agents) await agent.heartbeat({ clock: { offset_ms: -40 - beat, drift_ppm: 7.5, samples: 4 + beat }, impedance: { current_latency_ms: 30 + beat } });
      fx.clock.advance(INTERVAL_MS);
    }
    const registry = fx.lead.registry;
    for (let i = 0; i < 25; i++) registry.recordOutcome('pi-1', { result: 'success', processingMs: 90, verb: 'observe', queueDepth: 0 });
    for (let i = 0; i < 3; i++) registry.recordOutcome('pi-3', { result: 'error' });
    expect(registry.get('pi-3')?.state).toBe('quarantined');
    const before = registry.get('pi-1')!;
    const timingBefore = registry.timingInputs('pi-1', { verb: 'observe', queueDepth: 0 })!;

    // The lead is down for a while: agents keep silent meanwhile.
    fx.clock.advance(100_000);
    const lead = await fx.restart();
    expect(lead.restored).toBe(3);
    expect(lead.readiness().every((check) => check.ok)).toBe(true);

    const after = lead.registry.get('pi-1')!;
    expect(after).toMatchObject({
      agentClass: before.agentClass,
      capabilities: before.capabilities,
      lastHeartbeatAt: before.lastHeartbeatAt,
      heartbeats: 4,
      seq: before.seq,
      observedIntervalMs: before.observedIntervalMs,
      impedance: before.impedance,
      clock: before.clock,
    });
    expect(after.clock).toMatchObject({ offsetMs: -43, driftPpm: 7.5, samples: 7 });
    const timingAfter = lead.registry.timingInputs('pi-1', { verb: 'observe', queueDepth: 0 })!;
    expect(timingAfter.processing).toEqual(timingBefore.processing);
    expect(timingAfter.processing.expectedMs).toBeCloseTo(90, 6);
    expect(lead.registry.get('pi-2')?.agentClass).toBe('C');
    expect(lead.registry.get('pi-3')).toMatchObject({ state: 'quarantined', health: { state: 'quarantined' } });

    // Silence is counted from the restart, so nobody is probed at once...
    expect(await lead.sweep()).toMatchObject({ probesStarted: 0, declaredOffline: 0 });
    // ...and the agents carry on against the new lead.
    const { reply } = await agents[0]!.heartbeat();
    expect(reply.accepted).toBe(true);
    expect(lead.registry.get('pi-1')?.heartbeats).toBe(5);
  });
});
