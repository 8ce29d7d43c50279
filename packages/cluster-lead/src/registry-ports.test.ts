import { describe, expect, it } from 'vitest';
import { isBreakerFailure } from './breakers/lead-breakers.js';
import { countUnheard, registryPorts } from './registry-ports.js';
import { INTERVAL, beat, harness, ids } from './registry/registry.test-helper.js';

describe('registry as the scatter engine ports', () => {
  it('hands the engine every matching agent with timing inputs, and its processing estimates', () => {
    const h = harness();
    beat(h, ['pi-1', 'pi-2'], { agentClass: 'E' }, { current_latency_ms: 30 });
    const ports = registryPorts(h.registry);
    const targets = ports.targets.select({ all: true });
    expect(targets.map((t) => t.agentId)).toEqual(['pi-1', 'pi-2']);
    expect(targets[0]).toMatchObject({ agentClass: 'E', state: 'active', oneWayDelayMs: 15, supportedModes: ['hold', 'lead', 'none'], clusterId: 'cluster-1' });
    expect(targets[0]!.clock).toEqual({ offsetMs: -1520.25, driftPpm: 12.5, atLocalMs: h.clock.now() });
    expect(ports.targets.estimateProcessing('pi-1', { verb: 'act', payloadWeight: 0 }).expectedMs).toBeGreaterThan(0);
    expect(() => ports.targets.estimateProcessing('ghost', { verb: 'act', payloadWeight: 0 })).toThrow(/unknown agent/);
    expect(ports.mode.mode()).toBe('FULL');
  });

  it('counts the enrolled agents a selector may reach that the registry does not hold', () => {
    const h = harness();
    beat(h, ['pi-1', 'pi-2']);
    const enrolled = ['pi-1', 'pi-2', 'pi-3', 'pi-4'];
    const ports = registryPorts(h.registry, () => enrolled);
    expect(ports.targets.unheard?.({ all: true })).toBe(2);
    // What a silent agent reports about itself is unknown: it may match any other condition.
    expect(ports.targets.unheard?.({ capability: 'gpio', sector_id: 'sector-9' })).toBe(2);
    // An id list rules the unlisted ones out for certain.
    expect(ports.targets.unheard?.({ agent_ids: ['pi-1', 'pi-3'] })).toBe(1);
    expect(ports.targets.unheard?.({ agent_ids: ['pi-1', 'pi-2'] })).toBe(0);
    expect(countUnheard({ all: true }, [], () => false)).toBe(0);
    // Without the trust store's list the port says nothing (the engine then trusts its registry).
    expect(registryPorts(h.registry).targets.unheard).toBeUndefined();
  });

  it('records outcomes into health and processing: no ACK is a timeout, a conflict is an answer', () => {
    const h = harness();
    beat(h, ['pi-1', 'pi-2']);
    const ports = registryPorts(h.registry);
    for (let i = 0; i < 30; i++) ports.outcomes.recordOutcome('pi-1', 'ready', 80, 'observe');
    ports.outcomes.recordOutcome('pi-2', 'conflict', 90, 'observe');
    ports.outcomes.recordOutcome('pi-2', 'no_ack', null, 'observe');
    expect(h.registry.estimateProcessing('pi-1', { verb: 'observe', queueDepth: 0 })).toMatchObject({ source: 'learned', basis: 'verb' });
    expect(h.registry.get('pi-1')?.health.score).toBe(1);
    expect(h.registry.get('pi-2')?.health.score).toBeCloseTo(0.7, 10);
  });

  it('docks nothing for work the agent could not run (unrunnable), and the breaker counts no failure', () => {
    const h = harness();
    beat(h, ['pi-1', 'pi-2']);
    const ports = registryPorts(h.registry);
    ports.outcomes.recordOutcome('pi-1', 'no_ack', null, 'sync');
    ports.outcomes.recordOutcome('pi-2', 'no_ack', null, 'sync');
    const docked = h.registry.get('pi-1')!.health.score;
    for (let i = 0; i < 10; i++) ports.outcomes.recordOutcome('pi-1', 'unrunnable', 2, 'sync');
    ports.outcomes.recordOutcome('pi-2', 'refused', 2, 'sync');
    expect(h.registry.get('pi-1')!.health.score).toBe(docked);
    expect(h.registry.get('pi-2')!.health.score).toBeLessThan(docked);
    expect(isBreakerFailure('unrunnable')).toBe(false);
    expect(isBreakerFailure('refused')).toBe(true);
  });

  it('scores a cache hit +0.01, and no ACK from an agent that kept heartbeating after the send as a stall (-0.35)', () => {
    const h = harness();
    beat(h, ['alive', 'silent', 'cached']);
    const ports = registryPorts(h.registry);
    ports.outcomes.recordOutcome('cached', 'no_ack', null, 'sync');
    ports.outcomes.recordOutcome('cached', 'ready', 3, 'sync', { cacheHit: true });
    expect(h.registry.get('cached')?.health.score).toBeCloseTo(0.71, 10);
    const sentAt = h.clock.now();
    h.clock.advance(INTERVAL);
    beat(h, ['alive']); // heartbeats after the send: alive, the work hung
    ports.outcomes.recordOutcome('alive', 'no_ack', null, 'act', { sentAt });
    ports.outcomes.recordOutcome('silent', 'no_ack', null, 'act', { sentAt });
    expect(h.registry.get('alive')?.health.score).toBeCloseTo(0.65, 10);
    expect(h.registry.get('silent')?.health.score).toBeCloseTo(0.7, 10);
  });

  it('keeps quarantined and offline agents out of routing, unless the lead is in panic', async () => {
    const h = harness();
    const fleet = ids('pi', 4);
    beat(h, fleet);
    const ports = registryPorts(h.registry);
    for (let i = 0; i < 3; i++) ports.outcomes.recordOutcome('pi-00', 'no_ack', null, 'act');
    const routable = () => ports.targets.select({ all: true }).map((t) => [t.agentId, ports.routes.routable(t)]);
    expect(routable()).toEqual([
      ['pi-00', { routable: false, reason: 'agent is quarantined' }],
      ['pi-01', { routable: true }],
      ['pi-02', { routable: true }],
      ['pi-03', { routable: true }],
    ]);
    // Two more go silent: one routable agent of four is below the panic line.
    h.clock.advance(3 * INTERVAL);
    beat(h, ['pi-03']);
    await h.registry.sweep();
    expect(h.registry.panic).toBe(true);
    expect(routable().every(([, r]) => (r as { routable: boolean }).routable)).toBe(true);
  });
});
