import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { MeshError } from '../lib/errors.js';
import { AgentImpedance } from './agent-impedance.js';
import { impedanceScore } from './impedance-score.js';
import { ImpedanceProfiler } from './profiler.js';
import type { ProfilerIdentity } from './profiler.js';

const identity: ProfilerIdentity = {
  agent_id: 'pi-004',
  agent_class: 'E',
  sector_id: 'sector-1',
  cluster_id: 'cluster-2',
  capabilities: ['gpio', 'sensor.temperature'],
};

function setup(queue = 0) {
  const clock = new ManualClock(1_760_000_000_000);
  let depth = queue;
  const profiler = new ImpedanceProfiler(identity, { clock, queueDepth: () => depth });
  return { clock, profiler, setQueue: (q: number) => (depth = q) };
}

describe('ImpedanceProfiler', () => {
  it('reports a valid, idle record before any measurement', () => {
    const { profiler, clock } = setup();
    const snap = profiler.snapshot();
    expect(AgentImpedance.safeParse(snap).success).toBe(true);
    expect(snap).toMatchObject({
      agent_id: 'pi-004',
      current_latency_ms: 0,
      current_processing_ms: 0,
      current_queue_depth: 0,
      last_heartbeat: clock.now(),
      impedance_score: 0,
      reliability_score: 1,
      drift_coefficient: 0,
      operational_state: 'active',
      current_context_hash: '',
    });
  });

  it('builds the record from medians, queue depth, outcomes and latency spread', () => {
    const { profiler, setQueue } = setup();
    for (const ms of [10, 20, 30, 40, 50]) profiler.recordLatency(ms);
    for (const ms of [100, 300, 200]) profiler.recordProcessing(ms);
    profiler.recordOutcome(true);
    profiler.recordOutcome(true);
    profiler.recordOutcome(true);
    profiler.recordOutcome(false);
    setQueue(3);
    const snap = profiler.snapshot();
    expect(snap.current_latency_ms).toBe(30);
    expect(snap.current_processing_ms).toBe(200);
    expect(snap.current_queue_depth).toBe(3);
    expect(snap.reliability_score).toBe(0.75);
    expect(snap.drift_coefficient).toBeCloseTo(Math.sqrt(200) / 30, 12);
    expect(snap.impedance_score).toBe(impedanceScore({ latencyMs: 30, processingMs: 200, queueDepth: 3 }));
    expect(AgentImpedance.safeParse(snap).success).toBe(true);
  });

  it('reports degraded when the score passes 800, and honours an override', () => {
    const { profiler } = setup();
    profiler.recordLatency(100);
    profiler.recordProcessing(1800); // delay 1900 ms -> score just under 800
    expect(profiler.snapshot().operational_state).toBe('active');
    profiler.recordProcessing(2500);
    profiler.recordProcessing(2500); // median 2500 -> delay 2600 ms -> above 800
    expect(profiler.snapshot().operational_state).toBe('degraded');
    profiler.setStateOverride('quarantined');
    expect(profiler.snapshot().operational_state).toBe('quarantined');
    profiler.setStateOverride(undefined);
    expect(profiler.snapshot().operational_state).toBe('degraded');
  });

  it('ages outcomes out with the clock', () => {
    const { profiler, clock } = setup();
    profiler.recordOutcome(false);
    expect(profiler.snapshot().reliability_score).toBe(0);
    clock.advance(61 * 60_000);
    expect(profiler.snapshot().reliability_score).toBe(1);
    expect(profiler.snapshot().last_heartbeat).toBe(clock.now());
  });

  it('clamps a misbehaving queue getter into the schema bounds', () => {
    const { profiler, setQueue } = setup();
    setQueue(-3);
    expect(profiler.snapshot().current_queue_depth).toBe(0);
    setQueue(2.6);
    expect(profiler.snapshot().current_queue_depth).toBe(3);
    setQueue(Number.NaN);
    expect(profiler.snapshot().current_queue_depth).toBe(0);
    setQueue(1e12);
    expect(AgentImpedance.safeParse(profiler.snapshot()).success).toBe(true);
  });

  it('carries the context hash and copies capabilities', () => {
    const { profiler } = setup();
    profiler.setContextHash('b'.repeat(64));
    const snap = profiler.snapshot();
    expect(snap.current_context_hash).toBe('b'.repeat(64));
    snap.capabilities.push('mutated');
    expect(profiler.snapshot().capabilities).toEqual(identity.capabilities);
    expect(() => profiler.setContextHash('xyz')).toThrow(MeshError);
  });

  it('rejects a bad identity with the field path, and bad samples', () => {
    const clock = new ManualClock();
    try {
      new ImpedanceProfiler({ ...identity, cluster_id: 'bad id' }, { clock, queueDepth: () => 0 });
      expect.unreachable();
    } catch (e) {
      expect((e as MeshError).code).toBe('INVALID_ARGUMENT');
      expect((e as MeshError).path).toBe('cluster_id');
    }
    const { profiler } = setup();
    expect(() => profiler.recordLatency(-1)).toThrow(MeshError);
    expect(() => profiler.recordProcessing(Infinity)).toThrow(MeshError);
  });
});
