import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../lib/events.js';
import { INTERVAL, beat, harness, ids } from './registry.test-helper.js';

const named = (events: readonly { name: string }[], name: string) => events.filter((e) => e.name === name) as AgentEvent[];

describe('registry liveness', () => {
  it('probes once, then declares offline only after the probe fails', async () => {
    const h = harness();
    beat(h, ['a', 'b']);
    h.prober.alive.add('b');
    h.clock.advance(3 * INTERVAL);
    const report = await h.registry.sweep();
    expect(report).toMatchObject({ probesStarted: 2, probesAnswered: 1, declaredOffline: 1 });
    expect(h.registry.get('a')?.state).toBe('offline');
    expect(h.registry.get('b')?.state).toBe('active');
    // b answered: its silence counts from the probe, so it is not probed again at once.
    expect((await h.registry.sweep()).probesStarted).toBe(0);
    expect(h.prober.probed).toEqual(['a', 'b']);
    expect(named(h.events, 'agent.offline')[0]).toMatchObject({ agentId: 'a', from: 'active', to: 'offline' });
    expect(named(h.events, 'agent.offline')[0]?.reason).toMatch(/missed 3 heartbeats; probe failed: no responders/);
  });

  it('judges a slow heartbeater by its own interval, up to four times the configured one', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) {
      beat(h, ['slow']);
      h.clock.advance(2 * INTERVAL);
    }
    // 2 intervals since the last beat: one of its own intervals, not two missed beats.
    h.clock.advance(-2 * INTERVAL);
    beat(h, ['slow']);
    h.clock.advance(5 * INTERVAL);
    await h.registry.sweep();
    expect(h.registry.get('slow')).toMatchObject({ missedBeats: 2, state: 'active', observedIntervalMs: 2 * INTERVAL });
  });

  it('declares nobody offline while the transport is down', async () => {
    const h = harness();
    beat(h, ['a']);
    h.transport.up = false;
    h.clock.advance(10 * INTERVAL);
    expect(await h.registry.sweep()).toMatchObject({ suspended: true, probesStarted: 0, declaredOffline: 0 });
    expect(h.registry.get('a')?.state).toBe('active');
    h.transport.up = true;
    expect((await h.registry.sweep()).declaredOffline).toBe(1);
  });

  it('ignores a probe answer when a heartbeat arrived meanwhile', async () => {
    const h = harness();
    beat(h, ['a']);
    h.clock.advance(3 * INTERVAL);
    const sweeping = h.registry.sweep();
    beat(h, ['a']);
    expect((await sweeping).declaredOffline).toBe(0);
    expect(h.registry.get('a')).toMatchObject({ state: 'active', missedBeats: 0 });
  });

  it('takes a session HELLO as a sign of life: the silence restarts; an agent declared offline stays so until it beats', async () => {
    const h = harness();
    beat(h, ['waiting', 'gone']);
    h.clock.advance(2 * INTERVAL);
    // "waiting" sends a HELLO instead of a beat (it waits for its session); "gone" sends nothing.
    expect(h.registry.heardHandshake('waiting', h.clock.now())).toBe(true);
    h.clock.advance(2 * INTERVAL);
    expect(await h.registry.sweep()).toMatchObject({ probesStarted: 1, declaredOffline: 1 });
    expect(h.prober.probed).toEqual(['gone']);
    expect(h.registry.get('waiting')).toMatchObject({ state: 'active', missedBeats: 2 });
    expect(h.registry.heardHandshake('gone', h.clock.now())).toBe(false);
    expect(h.registry.get('gone')?.state).toBe('offline');
    expect(h.registry.heardHandshake('nobody', h.clock.now())).toBe(false);
  });

  it('caps probes in flight and leaves the rest for the next sweep', async () => {
    const h = harness({ probeMaxInFlight: 2 });
    beat(h, ids('a', 5));
    h.clock.advance(3 * INTERVAL);
    const sweeping = h.registry.sweep();
    const started = (await sweeping).probesStarted;
    expect(started).toBe(2);
    expect((await h.registry.sweep()).probesStarted).toBe(2);
  });

  it('widens deadlines after a start, for the grace period', async () => {
    const h = harness({}, { restartGraceMs: 40_000, timeoutFactor: 2, lagThresholdMs: 200, lagGraceMs: 1 });
    h.guard.noteStart();
    beat(h, ['a']);
    h.clock.advance(3 * INTERVAL);
    expect(await h.registry.sweep()).toMatchObject({ factor: 2, guardReasons: ['restart'], probesStarted: 0 });
    h.clock.advance(3 * INTERVAL);
    expect(await h.registry.sweep()).toMatchObject({ factor: 2, declaredOffline: 1 });
    h.clock.advance(40_000);
    expect((await h.registry.sweep()).factor).toBe(1);
    expect(h.events.filter((e) => e.name.startsWith('guard.')).map((e) => e.name)).toEqual(['guard.widened', 'guard.normal']);
  });

  it('reports AGENT_CRASH once per silence, 30 s after the last sign of life', async () => {
    const h = harness();
    beat(h, ['a']);
    h.clock.advance(3 * INTERVAL);
    await h.registry.sweep();
    h.clock.advance(30_000 - 3 * INTERVAL - 1);
    expect((await h.registry.sweep()).crashed).toBe(0);
    h.clock.advance(1);
    expect((await h.registry.sweep()).crashed).toBe(1);
    expect((await h.registry.sweep()).crashed).toBe(0);
    beat(h, ['a']);
    expect(named(h.events, 'agent.online')).toHaveLength(1);
    h.clock.advance(30_000);
    await h.registry.sweep();
    expect((await h.registry.sweep()).crashed).toBe(1);
    expect(named(h.events, 'agent.crashed')).toHaveLength(2);
  });
});
