import { describe, expect, it } from 'vitest';
import { EventBus } from '../lib/events.js';
import { PersistedAgent } from './persisted-agent.js';
import { Registry } from './registry.js';
import { OPTIONS, ScriptedProber, beat, enrollment, harness, heartbeat, ids } from './registry.test-helper.js';

describe('persisted agents', () => {
  it('round-trip through JSON with their learned state, health, flags and anomaly baseline', () => {
    const h = harness();
    const fleet = ids('pi', 20);
    for (let i = 0; i < 6; i++) beat(h, fleet, {}, { impedance_score: 240, current_latency_ms: 25 });
    for (let i = 0; i < 25; i++) h.registry.recordOutcome('pi-00', { result: 'success', processingMs: 70, verb: 'record' });
    for (const id of ['pi-01', 'pi-02', 'pi-03']) for (let i = 0; i < 3; i++) h.registry.recordOutcome(id, { result: 'error' });
    h.registry.recordOutcome('pi-04', { result: 'timeout' });
    expect(h.registry.get('pi-03')?.health.quarantineDeferred).toBe(true);

    const stored = fleet.map((id) => PersistedAgent.parse(JSON.parse(JSON.stringify(h.registry.persisted(id)))));
    const restored = new Registry({ clock: h.clock, events: new EventBus(), prober: new ScriptedProber(), guard: h.guard, transportUp: () => true }, OPTIONS);
    expect(restored.restore(stored)).toBe(20);
    expect(restored.restore(stored)).toBe(0);

    for (const id of fleet) {
      const before = h.registry.get(id)!;
      const after = restored.get(id)!;
      expect(after.impedance, id).toEqual(before.impedance);
      expect(after.clock, id).toEqual(before.clock);
      expect(after.state, id).toBe(before.state);
      expect(after.health.state, id).toBe(before.health.state);
      expect(after.heartbeats, id).toBe(6);
    }
    const conditions = { verb: 'record', queueDepth: 0 } as const;
    // Both predictors come back: the estimate and lead mode's median window.
    expect(h.registry.estimateProcessing('pi-00', conditions)).toMatchObject({ medianSource: 'learned' });
    expect(restored.estimateProcessing('pi-00', conditions)).toEqual(h.registry.estimateProcessing('pi-00', conditions));
    expect(restored.get('pi-04')?.health.score).toBeCloseTo(0.7, 10);
    expect(restored.status()).toMatchObject({ byState: { quarantined: 2, active: 18 }, quarantineDeferred: 1 });

    // The anomaly baseline came back: a score of 2.5x the history is a spike at once.
    restored.recordHeartbeat(heartbeat('pi-05', h.clock.now(), {}, {}, { impedance_score: 600, current_latency_ms: 25 }), {
      receivedAt: h.clock.now(),
      enrollment: enrollment('pi-05'),
    });
    expect(restored.get('pi-05')?.anomalies.spike).toBe(true);
  });

  it('marks an agent dirty only when a heartbeat changes more than what every heartbeat moves', () => {
    const h = harness();
    const first = heartbeat('pi-01', h.clock.now(), {}, { seq: 1, boot_id: 'boot-aaaaaaaa' });
    h.registry.recordHeartbeat(first, { receivedAt: h.clock.now(), enrollment: enrollment('pi-01') });
    expect(h.dirty.has('pi-01')).toBe(true); // a new agent
    h.dirty.clear();
    // The same boot, a later seq, other latency and clock numbers: only seen.
    h.clock.advance(5_000);
    const next = heartbeat('pi-01', h.clock.now(), {}, { seq: 2, boot_id: 'boot-aaaaaaaa' }, { current_latency_ms: 31 });
    h.registry.recordHeartbeat(next, { receivedAt: h.clock.now(), enrollment: enrollment('pi-01') });
    expect(h.dirty.has('pi-01')).toBe(false);
    expect(h.seen.has('pi-01')).toBe(true);
    // A new boot changes the stored boot list: dirty at once.
    h.clock.advance(5_000);
    h.registry.recordHeartbeat(heartbeat('pi-01', h.clock.now(), {}, { seq: 3, boot_id: 'boot-bbbbbbbb' }), { receivedAt: h.clock.now(), enrollment: enrollment('pi-01') });
    expect(h.dirty.has('pi-01')).toBe(true);
    h.dirty.clear();
    // A frozen flag reported by the agent is a real change too.
    h.clock.advance(5_000);
    h.registry.recordHeartbeat(heartbeat('pi-01', h.clock.now(), {}, { seq: 4, boot_id: 'boot-bbbbbbbb', frozen: true }), { receivedAt: h.clock.now(), enrollment: enrollment('pi-01') });
    expect(h.dirty.has('pi-01')).toBe(true);
  });

  it('takes a change of reported or granted capabilities, sector or class as a real change, and the same ones as none', () => {
    const h = harness();
    const at = (seq: number, shape: Parameters<typeof enrollment>[1], reported: Parameters<typeof enrollment>[1] = shape) => {
      h.clock.advance(5_000);
      h.dirty.clear();
      h.seen.clear();
      h.registry.recordHeartbeat(heartbeat('pi-01', h.clock.now(), reported, { seq, boot_id: 'boot-aaaaaaaa' }), { receivedAt: h.clock.now(), enrollment: enrollment('pi-01', shape) });
      return { dirty: h.dirty.has('pi-01'), seen: h.seen.has('pi-01'), capabilities: h.registry.get('pi-01')?.capabilities, agentClass: h.registry.get('pi-01')?.agentClass };
    };
    const granted = { capabilities: ['sensor.read', 'gpio', 'route'] };
    expect(at(1, granted, { capabilities: ['gpio', 'sensor.read'] })).toMatchObject({ dirty: true, capabilities: ['gpio', 'sensor.read'] });
    expect(at(2, granted, { capabilities: ['gpio', 'sensor.read'] })).toMatchObject({ dirty: false, seen: true });
    // Reported in another order, one fewer, one more: each a new identity.
    expect(at(3, granted, { capabilities: ['sensor.read', 'gpio'] })).toMatchObject({ dirty: true, capabilities: ['sensor.read', 'gpio'] });
    expect(at(4, granted, { capabilities: ['sensor.read'] })).toMatchObject({ dirty: true, capabilities: ['sensor.read'] });
    expect(at(5, granted, { capabilities: ['sensor.read', 'route'] })).toMatchObject({ dirty: true, capabilities: ['sensor.read', 'route'] });
    // A capability the enrollment does not grant is dropped, so reporting it changes nothing.
    expect(at(6, granted, { capabilities: ['sensor.read', 'admin', 'route'] })).toMatchObject({ dirty: false, seen: true, capabilities: ['sensor.read', 'route'] });
    // The enrollment taking a capability away, or moving the class or sector, changes the identity.
    expect(at(7, { capabilities: ['sensor.read'] }, { capabilities: ['sensor.read', 'route'] })).toMatchObject({ dirty: true, capabilities: ['sensor.read'] });
    expect(at(8, { capabilities: ['sensor.read'], agentClass: 'C' }, { capabilities: ['sensor.read'] })).toMatchObject({ dirty: true, agentClass: 'C' });
    expect(at(9, { capabilities: ['sensor.read'], agentClass: 'C', sectorId: 'sector-2' })).toMatchObject({ dirty: true });
    expect(h.registry.get('pi-01')?.sectorId).toBe('sector-2');
    expect(at(10, { capabilities: ['sensor.read'], agentClass: 'C', sectorId: 'sector-2' })).toMatchObject({ dirty: false, seen: true });
  });

  it('marks an agent dirty when it first has a clock estimate: that decides whether hold mode can reach it', () => {
    const h = harness();
    const noClock = { offset_ms: 0, delay_ms: 0, drift_ppm: 0, confidence: 0, error_bound_ms: 0, samples: 0 };
    h.registry.recordHeartbeat(heartbeat('pi-01', h.clock.now(), {}, { seq: 1, boot_id: 'boot-aaaaaaaa', clock: noClock }), { receivedAt: h.clock.now(), enrollment: enrollment('pi-01') });
    h.dirty.clear();
    h.clock.advance(5_000);
    h.registry.recordHeartbeat(heartbeat('pi-01', h.clock.now(), {}, { seq: 2, boot_id: 'boot-aaaaaaaa', clock: noClock }), { receivedAt: h.clock.now(), enrollment: enrollment('pi-01') });
    expect(h.dirty.has('pi-01')).toBe(false);
    // The first heartbeat after its clock exchange: written (and, with the jetstream store, mirrored) on the next pass.
    h.clock.advance(5_000);
    h.registry.recordHeartbeat(heartbeat('pi-01', h.clock.now(), {}, { seq: 3, boot_id: 'boot-aaaaaaaa' }), { receivedAt: h.clock.now(), enrollment: enrollment('pi-01') });
    expect(h.dirty.has('pi-01')).toBe(true);
    const stored = h.registry.persisted('pi-01')!;
    expect(stored.numbers.clockSamples).toBeGreaterThan(0);
    h.dirty.clear();
    // Later estimates move only numbers.
    h.clock.advance(5_000);
    h.registry.recordHeartbeat(heartbeat('pi-01', h.clock.now(), {}, { seq: 4, boot_id: 'boot-aaaaaaaa' }), { receivedAt: h.clock.now(), enrollment: enrollment('pi-01') });
    expect(h.dirty.has('pi-01')).toBe(false);
  });
});
