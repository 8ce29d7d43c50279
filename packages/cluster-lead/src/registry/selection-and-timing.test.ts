import { CLASS_BASE_MS } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { toMeshTime } from './views.js';
import { T0, beat, harness, heartbeat, enrollment } from './registry.test-helper.js';

describe('selection', () => {
  function fleet() {
    const h = harness();
    beat(h, ['e1'], { agentClass: 'E', clusterId: 'c1', sectorId: 's1', capabilities: ['gpio'] }, { impedance_score: 120 });
    beat(h, ['e2'], { agentClass: 'E', clusterId: 'c1', sectorId: 's1', capabilities: ['gpio'] });
    beat(h, ['a1'], { agentClass: 'A', clusterId: 'c1', sectorId: 's1', capabilities: ['route'] });
    beat(h, ['c1x'], { agentClass: 'C', clusterId: 'c2', sectorId: 's2', capabilities: ['gpio', 'batch'] });
    return h;
  }

  it('selects by ids, capability, class, cluster, sector and all; fields are ANDed; empty selects nobody', () => {
    const h = fleet();
    const pick = (selector: Parameters<typeof h.registry.select>[0]['selector']) => h.registry.select({ selector }).agentIds.sort();
    expect(pick({ capability: 'gpio' })).toEqual(['c1x', 'e1', 'e2']);
    expect(pick({ agent_class: 'E' })).toEqual(['e1', 'e2']);
    expect(pick({ cluster_id: 'c1' })).toEqual(['a1', 'e1', 'e2']);
    expect(pick({ sector_id: 's2' })).toEqual(['c1x']);
    expect(pick({ cluster_id: 'c1', capability: 'gpio' })).toEqual(['e1', 'e2']);
    expect(pick({ all: true })).toEqual(['a1', 'c1x', 'e1', 'e2']);
    expect(pick({})).toEqual([]);
    expect(pick({ all: false })).toEqual([]);
    const byIds = h.registry.select({ selector: { agent_ids: ['e1', 'ghost', 'a1'], capability: 'gpio' } });
    expect(byIds).toMatchObject({ agentIds: ['e1'], unknown: ['ghost'] });
  });

  it('selects an agent once whatever its capability list repeats, and follows it to its new cluster', () => {
    const h = harness();
    beat(h, ['d1'], { clusterId: 'c1', capabilities: ['gpio', 'gpio'] });
    beat(h, ['d2'], { clusterId: 'c1', capabilities: ['gpio'] });
    expect(h.registry.select({ selector: { capability: 'gpio' } }).agentIds).toEqual(['d1', 'd2']);
    beat(h, ['d1'], { clusterId: 'c2', capabilities: ['gpio'] });
    expect(h.registry.select({ selector: { cluster_id: 'c1' } }).agentIds).toEqual(['d2']);
    expect(h.registry.select({ selector: { cluster_id: 'c2', capability: 'gpio' } }).agentIds).toEqual(['d1']);
    expect(h.registry.select({ selector: { capability: 'gpio' } }).agentIds).toEqual(['d2', 'd1']);
  });

  it('filters by state, says what it left out, orders by impedance and limits', () => {
    const h = fleet();
    h.registry.recordHeartbeat(heartbeat('e2', h.clock.now(), { capabilities: ['gpio'], clusterId: 'c1' }, {}, { impedance_score: 900 }), {
      receivedAt: h.clock.now(),
      enrollment: enrollment('e2', { agentClass: 'E', clusterId: 'c1', sectorId: 's1', capabilities: ['gpio'] }),
    });
    expect(h.registry.get('e2')?.state).toBe('degraded');
    const activeOnly = h.registry.select({ selector: { capability: 'gpio' }, states: ['active'] });
    expect(activeOnly.agentIds.sort()).toEqual(['c1x', 'e1']);
    expect(activeOnly.excluded).toEqual([{ agentId: 'e2', reason: 'state:degraded' }]);
    const best = h.registry.select({ selector: { capability: 'gpio' }, order: 'impedance', limit: 2 });
    expect(best.agentIds).toEqual(['e1', 'c1x']);
    expect(h.registry.select({ selector: { capability: 'gpio' }, order: 'impedance' }).agentIds.at(-1)).toBe('e2');
  });
});

describe('timing inputs for the send schedule', () => {
  it('derives one-way delay, jitter, processing per verb, confidence and supported modes', () => {
    const h = harness();
    beat(h, ['pi'], { agentClass: 'E' }, { current_latency_ms: 40, drift_coefficient: 0.1, reliability_score: 1, current_queue_depth: 0 });
    const first = h.registry.timingInputs('pi', { verb: 'act', payloadWeight: 2, queueDepth: 0 })!;
    expect(first.oneWayDelayMs).toBe(20);
    // Sample heartbeats report no jitter_ms: the spread comes from the drift coefficient.
    expect(first.jitterMs).toBeCloseTo((0.1 * 40) / Math.SQRT2, 10);
    expect(first.processing).toMatchObject({ expectedMs: CLASS_BASE_MS.E * 2, source: 'prior', basis: 'class' });
    // spec 3.1's weights with clock trust for drift: 1 x 0.5 + (1 - 5.75 / 50) x 0.3 + 0.2 (heard from within 10 s)
    expect(first.confidence).toBeCloseTo(0.5 + (1 - 5.75 / 50) * 0.3 + 0.2, 10);
    expect(first.supportedModes).toEqual(['hold', 'lead', 'none']);

    for (let i = 0; i < 40; i++) h.registry.recordOutcome('pi', { result: 'success', processingMs: 60, verb: 'act' });
    const learned = h.registry.timing('pi', { verb: 'act' })!;
    expect(learned.expectedProcessingMs).toBeCloseTo(60, 6);
    expect(learned.medianProcessingMs).toBe(60);
    expect(learned.agentId).toBe('pi');

    h.clock.advance(20_000);
    expect(h.registry.timingInputs('pi')!.confidence).toBeCloseTo(0.5 + (1 - 5.75 / 50) * 0.3, 10);
    expect(h.registry.timings(['pi', 'ghost'])).toHaveLength(1);
  });

  it('answers with the class prior until an agent measures, and one agent learning moves no other agent of its class', () => {
    const h = harness();
    beat(h, ['e1', 'e2'], { agentClass: 'E' });
    const prior = h.registry.estimateProcessing('e2', { verb: 'act', queueDepth: 0 })!;
    expect(prior).toMatchObject({ expectedMs: CLASS_BASE_MS.E, source: 'prior' });
    for (let i = 0; i < 30; i++) h.registry.recordOutcome('e1', { result: 'success', processingMs: 7, verb: 'act', queueDepth: 0 });
    expect(h.registry.estimateProcessing('e1', { verb: 'act', queueDepth: 0 })!.expectedMs).toBeCloseTo(7, 6);
    expect(h.registry.estimateProcessing('e2', { verb: 'act', queueDepth: 0 })).toEqual(prior);
    // Re-enrolled in another class, it starts again from that class's prior.
    beat(h, ['e1'], { agentClass: 'A' });
    expect(h.registry.estimateProcessing('e1', { verb: 'act', queueDepth: 0 })).toMatchObject({ expectedMs: CLASS_BASE_MS.A, source: 'prior' });
  });

  it('gives lead mode the median of recent processing times, which a rare spike does not move as it moves the mean', () => {
    const h = harness();
    beat(h, ['pi'], { agentClass: 'E' }, { current_latency_ms: 10, reliability_score: 1 });
    for (let i = 0; i < 30; i++) h.registry.recordOutcome('pi', { result: 'success', processingMs: i % 10 === 9 ? 900 : 100 + (i % 3), verb: 'act' });
    const timing = h.registry.timing('pi', { verb: 'act' })!;
    expect(timing.medianProcessingMs).toBe(101);
    expect(timing.expectedProcessingMs).toBeGreaterThan(150);
  });

  it('takes the work an ACK reports off the queue depth the last heartbeat said, so the next operation is not predicted for a queue already gone', () => {
    const h = harness();
    beat(h, ['pi'], { agentClass: 'E' }, { current_latency_ms: 10, reliability_score: 1, current_queue_depth: 0 });
    for (let i = 0; i < 9; i++) h.registry.recordOutcome('pi', { result: 'success', processingMs: 100, verb: 'act' });
    expect(h.registry.timing('pi', { verb: 'act' })!.medianProcessingMs).toBeCloseTo(100, 9);
    // A beat sent while the agent was processing one operation and had another queued.
    beat(h, ['pi'], { agentClass: 'E' }, { current_latency_ms: 10, reliability_score: 1, current_queue_depth: 2 });
    expect(h.registry.timing('pi', { verb: 'act' })!.medianProcessingMs).toBeCloseTo(100 * 1.2, 9);
    // The first finishes: its time ran behind one queued item (normalised as such), one is left.
    h.registry.recordOutcome('pi', { result: 'success', processingMs: 110, verb: 'act' });
    expect(h.registry.timing('pi', { verb: 'act' })!.medianProcessingMs).toBeCloseTo(100 * 1.1, 9);
    // The second finishes: nothing is queued any more, whatever that beat said.
    h.registry.recordOutcome('pi', { result: 'success', processingMs: 100, verb: 'act' });
    expect(h.registry.timing('pi', { verb: 'act' })!.medianProcessingMs).toBeCloseTo(100, 9);
    // An outcome without an ACK (no processing time) says nothing about the queue.
    beat(h, ['pi'], { agentClass: 'E' }, { current_latency_ms: 10, reliability_score: 1, current_queue_depth: 1 });
    h.registry.recordOutcome('pi', { result: 'timeout' });
    expect(h.registry.timing('pi', { verb: 'act' })!.medianProcessingMs).toBeCloseTo(100 * 1.1, 9);
  });

  it('trusts an agent less as its clock estimate\'s error bound grows, and not at all past 50 ms', () => {
    const h = harness();
    const bound = (id: string, errorBoundMs: number): number => {
      const clock = { offset_ms: 3, delay_ms: 8, drift_ppm: 0, confidence: 0.9, error_bound_ms: errorBoundMs, samples: 32 };
      h.registry.recordHeartbeat(heartbeat(id, T0, {}, { clock }), { receivedAt: T0, enrollment: enrollment(id) });
      return h.registry.timingInputs(id)!.confidence;
    };
    const tight = bound('tight', 1);
    const loose = bound('loose', 25);
    expect(tight).toBeGreaterThan(loose);
    // Clock trust 1 - 1/50 against 0: the whole difference is the clock term's weight.
    expect(tight - bound('lost', 400)).toBeCloseTo(0.3 * (1 - 1 / 50), 10);
  });

  it('offers no hold mode and no clock before the agent has exchanged clocks', () => {
    const h = harness();
    h.registry.recordHeartbeat(heartbeat('new', T0, {}, { clock: { offset_ms: 0, delay_ms: 0, drift_ppm: 0, confidence: 0, error_bound_ms: 0, samples: 0 } }), {
      receivedAt: T0,
      enrollment: enrollment('new'),
    });
    expect(h.registry.timingInputs('new')).toMatchObject({ clock: null, supportedModes: ['lead', 'none'] });
    expect(h.registry.toMeshTime('new', T0)).toBeUndefined();
  });

  it('converts agent-local instants to mesh time with offset and drift', () => {
    const h = harness();
    const t1 = T0 - 1_500;
    h.registry.recordHeartbeat(
      heartbeat('pi', t1, {}, { t1, clock: { offset_ms: 1_500, delay_ms: 10, drift_ppm: 100, confidence: 0.9, error_bound_ms: 1, samples: 8 } }),
      { receivedAt: T0, enrollment: enrollment('pi') },
    );
    expect(h.registry.toMeshTime('pi', t1)).toBe(T0);
    // 100 ppm fast: 10 s later on its clock is 1 ms less in mesh time.
    expect(h.registry.toMeshTime('pi', t1 + 10_000)).toBeCloseTo(T0 + 10_000 - 1, 6);
    expect(toMeshTime(null, 5)).toBeUndefined();
  });
});

describe('anomalies', () => {
  it('flags a spike above 2x the agent history once, and degrades it until it passes', () => {
    const h = harness();
    for (let i = 0; i < 6; i++) beat(h, ['pi'], {}, { impedance_score: 200, current_latency_ms: 20 });
    beat(h, ['pi'], {}, { impedance_score: 520, current_latency_ms: 20 });
    beat(h, ['pi'], {}, { impedance_score: 560, current_latency_ms: 20 });
    const spikes = h.events.filter((e) => e.name === 'impedance.spike');
    expect(spikes).toHaveLength(1);
    expect(spikes[0]).toMatchObject({ agentId: 'pi', score: 520, baselineScore: 200 });
    expect(h.registry.get('pi')).toMatchObject({ state: 'degraded', anomalies: { spike: true } });
    beat(h, ['pi'], {}, { impedance_score: 210, current_latency_ms: 20 });
    expect(h.registry.get('pi')).toMatchObject({ state: 'active', anomalies: { spike: false } });
  });
});
