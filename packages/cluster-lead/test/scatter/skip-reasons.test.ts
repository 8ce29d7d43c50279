import { describe, expect, it } from 'vitest';
import { T0, agent, answer, makeFixture } from './support/engine-fixture.js';

const T = T0 + 200;

describe('skipped agents', () => {
  it('skips with the reason and the figures: lead time, mode, routability, capability, state', async () => {
    const fx = await makeFixture([
      agent('ok'),
      agent('far', { oneWayDelayMs: 180 }), // needs 232 ms (expected lead time), 200 left
      agent('lead-only', { supportedModes: ['lead'] }),
      agent('breaker', { clusterId: 'cluster-1' }),
      agent('no-gpio', { capabilities: ['sensor.read'] }),
      agent('gone', { state: 'offline' }),
    ]);
    for (const a of fx.registry.agents.values()) {
      if (a.agentId !== 'no-gpio') fx.registry.agents.set(a.agentId, { ...a, capabilities: ['sensor.read', 'gpio'] });
    }
    fx.routes.blocked.set('breaker', 'cluster breaker cluster-1 is open');
    const handle = await fx.engine.submit({
      verb: 'act',
      payload: null,
      targets: { all: true },
      releaseMode: 'hold',
      targetTime: T,
      requiresCapabilities: ['gpio'],
      minResponseRate: 1,
    });
    await fx.scheduler.advanceTo(T);
    await answer(fx, [{ agentId: 'ok', readyAtMesh: T }]);
    const outcome = await handle.outcome;
    expect(outcome.status).toBe('completed');
    if (outcome.status !== 'completed') return;
    const skipped = Object.fromEntries(outcome.result.skipped.map((s) => [s.agentId, s]));
    expect(skipped.far).toMatchObject({ reason: 'insufficient_lead_time', mode: 'hold', wouldNeedMs: 232, availableMs: 200 });
    expect(skipped.far!.detail).toBe('needs 232.0 ms of lead time, 200.0 ms left before T');
    expect(skipped['lead-only']).toMatchObject({ reason: 'unsupported_mode', detail: 'supports lead; hold requested' });
    expect(skipped.breaker).toMatchObject({ reason: 'not_routable', detail: 'cluster breaker cluster-1 is open' });
    expect(skipped['no-gpio']).toMatchObject({ reason: 'capability_mismatch', detail: 'lacks gpio' });
    expect(skipped.gone).toMatchObject({ reason: 'agent_offline' });
    expect(outcome.result.counts).toMatchObject({ selected: 6, sent: 1, skipped: 5, ready: 1 });
    // Skipped agents are not sent to and not counted against the quorum.
    expect(outcome.result.status).toBe('SUCCESS');
    expect(fx.transport.published[0]!.message.selector).toEqual({ agent_ids: ['ok'] });
  });

  it('reports an agent whose send failed as skipped, and does not wait for it', async () => {
    const fx = await makeFixture([agent('a'), agent('b')]);
    fx.transport.failing.add('b');
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'lead', targetTime: T, minResponseRate: 1 });
    await fx.scheduler.advanceTo(T);
    await answer(fx, [{ agentId: 'a', readyAtMesh: T - 2 }]);
    const outcome = await handle.outcome;
    if (outcome.status !== 'completed') throw new Error('refused');
    expect(outcome.result.skipped).toMatchObject([{ agentId: 'b', reason: 'send_failed', mode: 'lead' }]);
    expect(outcome.result.status).toBe('SUCCESS');
    expect(outcome.result.timings.decidedAt).toBe(T);
    expect(fx.events()).toContain('operation.send_failed');
  });

  it('decides at once, PARTIAL with RETRY, when every selected agent is skipped', async () => {
    const fx = await makeFixture([agent('far', { oneWayDelayMs: 500 }), agent('gone', { state: 'offline' })]);
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'lead', targetTime: T });
    const outcome = await handle.outcome;
    if (outcome.status !== 'completed') throw new Error('refused');
    expect(outcome.result).toMatchObject({ status: 'PARTIAL', decision: 'RETRY', counts: { selected: 2, sent: 0, skipped: 2 } });
    expect(outcome.result.timings.decidedAt).toBe(T0);
    expect(fx.transport.published).toEqual([]);
  });
});
