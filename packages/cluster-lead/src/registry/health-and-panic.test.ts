import { describe, expect, it } from 'vitest';
import type { AgentEvent, ModeEvent } from '../lib/events.js';
import { INTERVAL, beat, harness, ids } from './registry.test-helper.js';

const COOLDOWN_MS = 60_000;

function knockDown(h: ReturnType<typeof harness>, agentId: string): void {
  for (let i = 0; i < 3; i++) h.registry.recordOutcome(agentId, { result: 'error', reason: 'ACK refused' });
}

describe('health from ACK outcomes, and the quarantine cap', () => {
  it('quarantines at most 10% of a cluster, defers the rest, and admits them when a slot frees', () => {
    const h = harness();
    const fleet = ids('pi', 20);
    beat(h, fleet);
    knockDown(h, 'pi-00');
    knockDown(h, 'pi-01');
    knockDown(h, 'pi-02');
    expect(h.registry.status().byState).toMatchObject({ quarantined: 2, active: 18 });
    expect(h.registry.get('pi-02')).toMatchObject({ state: 'active', health: { state: 'quarantined', quarantineDeferred: true } });
    const deferred = h.events.filter((e) => e.name === 'agent.quarantine-deferred') as AgentEvent[];
    expect(deferred.map((e) => e.agentId)).toEqual(['pi-02']);
    expect(deferred[0]?.reason).toMatch(/cluster cluster-1 already has 2 quarantined/);
    // The router does not route to the two quarantined agents.
    expect(h.registry.select({ selector: { cluster_id: 'cluster-1' } }).agentIds).toHaveLength(18);

    // After the cooldown a good probe releases pi-00; pi-02 takes its slot.
    h.clock.advance(COOLDOWN_MS);
    h.registry.recordOutcome('pi-00', { result: 'success' });
    expect(h.registry.get('pi-00')).toMatchObject({ state: 'active', health: { state: 'probation' } });
    expect(h.registry.get('pi-02')).toMatchObject({ state: 'quarantined', health: { quarantineDeferred: false } });
    expect(h.registry.status()).toMatchObject({ quarantineDeferred: 0, byState: { quarantined: 2 } });
  });

  it('always allows one quarantine in a small cluster', () => {
    const h = harness();
    beat(h, ['a', 'b', 'c']);
    knockDown(h, 'a');
    knockDown(h, 'b');
    expect(h.registry.get('a')?.state).toBe('quarantined');
    expect(h.registry.get('b')?.health.quarantineDeferred).toBe(true);
  });

  it('keeps no health state for an agent whose health is as good as new', () => {
    const h = harness();
    beat(h, ['a']);
    h.registry.recordOutcome('a', { result: 'success', processingMs: 80, verb: 'act' });
    expect(h.registry.get('a')?.health).toEqual({ state: 'healthy', score: 1, quarantineDeferred: false });
    h.registry.recordOutcome('a', { result: 'timeout' });
    expect(h.registry.get('a')?.health.score).toBeCloseTo(0.7, 10);
  });

  it('recovers a quarantined agent by itself after the auto-recovery time (sweep ticks health)', async () => {
    const h = harness();
    beat(h, ids('pi', 10));
    knockDown(h, 'pi-03');
    expect(h.registry.get('pi-03')?.state).toBe('quarantined');
    for (let t = 0; t < 10; t++) {
      h.clock.advance(COOLDOWN_MS);
      beat(h, ids('pi', 10));
      await h.registry.sweep();
    }
    expect(h.registry.get('pi-03')).toMatchObject({ state: 'active', health: { state: 'probation' } });
    const released = h.events.filter((e): e is AgentEvent => e.name === 'agent.released');
    expect(released.map((e) => e.agentId)).toEqual(['pi-03']);
  });
});

describe('degradation mode and panic mode', () => {
  it('degrades the mode as agents go offline and enters panic below half routable', async () => {
    const h = harness();
    const fleet = ids('pi', 10);
    beat(h, fleet);
    await h.registry.sweep();
    expect(h.registry.mode).toBe('FULL');
    expect(h.registry.panic).toBe(false);

    // Six stop beating; the others keep going.
    const alive = fleet.slice(6);
    for (let i = 0; i < 3; i++) {
      h.clock.advance(INTERVAL);
      beat(h, alive);
    }
    h.clock.advance(1);
    await h.registry.sweep();
    expect(h.registry.status()).toMatchObject({ byState: { offline: 6, active: 4 }, panic: true, mode: 'DEGRADED_SEVERE', healthyShare: 0.4 });
    const modes = h.events.filter((e): e is ModeEvent => e.name === 'mode.changed').map((e) => e.to);
    expect(modes).toEqual(['FULL', 'DEGRADED_SEVERE']);
    expect(h.events.filter((e) => e.name === 'panic.entered')).toHaveLength(1);

    // In panic the router stops filtering on health; an exact listing can still ask for it.
    const panicked = h.registry.select({ selector: { all: true } });
    expect(panicked).toMatchObject({ panic: true, excluded: [] });
    expect(panicked.agentIds).toHaveLength(10);
    const exact = h.registry.select({ selector: { all: true }, honourPanic: false });
    expect(exact.panic).toBe(false);
    expect(exact.agentIds).toEqual(alive);
    expect(exact.excluded).toHaveLength(6);

    beat(h, fleet);
    await h.registry.sweep();
    expect(h.registry.panic).toBe(false);
    expect(h.events.filter((e) => e.name === 'panic.exited')).toHaveLength(1);
  });
});
