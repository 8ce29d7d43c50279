import { CLASS_BASE_MS } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { INTERVAL, beat, harness, type Harness } from '../registry/registry.test-helper.js';
import { compareCandidates, rankCandidates, type Candidate } from './chooser.js';
import { parseDelegation, type DelegationRequestInput, type ParsedDelegation } from './request.js';

const QUIET = { current_queue_depth: 0, impedance_score: 100 };

function request(over: Partial<DelegationRequestInput> = {}): ParsedDelegation {
  const parsed = parseDelegation({ task: { verb: 'act', payload: { n: 1 } }, timeoutMs: 5_000, ...over });
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.value;
}

/** Agents of one class whose round trips differ: one-way delay is half the reported latency. */
function fleet(): Harness {
  const h = harness();
  beat(h, ['far'], { agentClass: 'E', capabilities: ['gpio'] }, { ...QUIET, current_latency_ms: 200 });
  beat(h, ['near'], { agentClass: 'E', capabilities: ['gpio'] }, { ...QUIET, current_latency_ms: 20 });
  beat(h, ['mid'], { agentClass: 'E', capabilities: ['gpio'] }, { ...QUIET, current_latency_ms: 100 });
  beat(h, ['fast-class'], { agentClass: 'A', capabilities: ['route'] }, { ...QUIET, current_latency_ms: 100 });
  return h;
}

describe('agent choice for a delegation', () => {
  it('ranks by expected total delay: one-way delay plus the processing expected for this verb and weight', () => {
    const h = fleet();
    const ranking = rankCandidates(h.registry, request());
    expect(ranking.ranked.map((c) => c.agentId)).toEqual(['fast-class', 'near', 'mid', 'far']);
    const near = ranking.ranked.find((c) => c.agentId === 'near')!;
    expect(near).toMatchObject({ state: 'active', oneWayDelayMs: 10, expectedProcessingMs: CLASS_BASE_MS.E, expectedTotalMs: 10 + CLASS_BASE_MS.E });
    // A heavier payload makes the class-A agent's processing longer, but it stays the fastest.
    expect(rankCandidates(h.registry, request({ task: { verb: 'act', payload: null, payloadWeight: 10 } })).ranked[0]?.agentId).toBe('fast-class');
    expect(ranking.excluded).toEqual([]);
  });

  it('narrows to a capability, a class or one agent id, and reports unknown ids', () => {
    const h = fleet();
    expect(rankCandidates(h.registry, request({ to: { capability: 'gpio' } })).ranked.map((c) => c.agentId)).toEqual(['near', 'mid', 'far']);
    expect(rankCandidates(h.registry, request({ to: { agentClass: 'A' } })).ranked.map((c) => c.agentId)).toEqual(['fast-class']);
    expect(rankCandidates(h.registry, request({ to: { agentId: 'far' } })).ranked.map((c) => c.agentId)).toEqual(['far']);
    expect(rankCandidates(h.registry, request({ to: { agentId: 'ghost' } }))).toEqual({ ranked: [], excluded: [{ agentId: 'ghost', code: 'unknown', detail: 'not in the registry' }] });
  });

  it('prefers active over degraded even when the degraded agent is faster', () => {
    const h = fleet();
    beat(h, ['near'], { agentClass: 'E', capabilities: ['gpio'] }, { ...QUIET, current_latency_ms: 20, impedance_score: 900 });
    expect(h.registry.get('near')?.state).toBe('degraded');
    const ranked = rankCandidates(h.registry, request({ to: { capability: 'gpio' } })).ranked;
    expect(ranked.map((c) => [c.agentId, c.state])).toEqual([
      ['mid', 'active'],
      ['far', 'active'],
      ['near', 'degraded'],
    ]);
  });

  it('breaks ties in expected delay (within one quantum) by health, then by exact delay and id', () => {
    const h = harness();
    beat(h, ['a', 'b', 'c'], { agentClass: 'E' }, { ...QUIET, current_latency_ms: 40 });
    beat(h, ['d'], { agentClass: 'E' }, { ...QUIET, current_latency_ms: 44 });
    h.registry.recordOutcome('a', { result: 'timeout', reason: 'test' });
    const ranked = rankCandidates(h.registry, request()).ranked;
    // d is 2 ms slower one way but in the same 10 ms quantum; a lost health.
    expect(ranked.map((c) => c.agentId)).toEqual(['b', 'c', 'd', 'a']);
    expect(ranked[3]!.healthScore).toBeLessThan(1);
    // With 1 ms quanta d's extra delay counts before health does.
    expect(rankCandidates(h.registry, request(), { delayQuantumMs: 1 }).ranked.map((c) => c.agentId)).toEqual(['b', 'c', 'a', 'd']);
  });

  it('excludes quarantined, offline, already tried, too slow and pre-check refusals, saying why', async () => {
    const h = fleet();
    h.registry.quarantine('mid', 'operator');
    expect(h.registry.get('mid')?.state).toBe('quarantined');
    // 'far' goes silent: overdue, probed, no answer, offline.
    h.clock.advance(4 * INTERVAL);
    beat(h, ['near'], { agentClass: 'E', capabilities: ['gpio'] }, { ...QUIET, current_latency_ms: 20 });
    beat(h, ['fast-class'], { agentClass: 'A', capabilities: ['route'] }, { ...QUIET, current_latency_ms: 100 });
    beat(h, ['mid'], { agentClass: 'E', capabilities: ['gpio'] }, { ...QUIET, current_latency_ms: 100 });
    await h.registry.sweep();
    expect(h.registry.get('mid')?.state).toBe('quarantined');
    expect(h.registry.get('far')?.state).toBe('offline');

    const all = rankCandidates(h.registry, request());
    expect(all.ranked.map((c) => c.agentId)).toEqual(['fast-class', 'near']);
    expect(all.excluded).toEqual(
      expect.arrayContaining([
        { agentId: 'mid', code: 'quarantined', detail: 'agent is quarantined' },
        { agentId: 'far', code: 'offline', detail: 'agent is offline' },
      ]),
    );
    const tried = rankCandidates(h.registry, request(), { exclude: new Set(['fast-class']) });
    expect(tried.ranked.map((c) => c.agentId)).toEqual(['near']);
    expect(tried.excluded).toContainEqual({ agentId: 'fast-class', code: 'already_tried', detail: 'tried earlier in this delegation' });

    // Class E needs 10 + 150 ms; a 100 ms timeout leaves only the class-A agent (50 + 10 ms).
    const tight = rankCandidates(h.registry, request({ timeoutMs: 100 }));
    expect(tight.ranked.map((c) => c.agentId)).toEqual(['fast-class']);
    expect(tight.excluded.find((e) => e.agentId === 'near')).toMatchObject({ code: 'too_slow' });

    const frozen = rankCandidates(h.registry, request(), { precheck: (view) => (view.agentClass === 'A' ? 'frozen' : null) });
    expect(frozen.ranked.map((c) => c.agentId)).toEqual(['near']);
    expect(frozen.excluded).toContainEqual({ agentId: 'fast-class', code: 'not_routable', detail: 'frozen' });
  });

  it('does not lift the state filter in panic mode', async () => {
    const h = harness();
    beat(h, ['p0', 'p1', 'p2'], { agentClass: 'E' }, QUIET);
    h.clock.advance(4 * INTERVAL);
    beat(h, ['p0'], { agentClass: 'E' }, QUIET);
    await h.registry.sweep();
    expect(h.registry.panic).toBe(true);
    expect(h.registry.select({ selector: { all: true } }).agentIds).toHaveLength(3);
    expect(rankCandidates(h.registry, request()).ranked.map((c) => c.agentId)).toEqual(['p0']);
  });

  it('orders totally: state, delay quantum, health, exact delay, id', () => {
    const c = (agentId: string, over: Partial<Candidate> = {}): Candidate => ({ agentId, state: 'active', healthScore: 1, oneWayDelayMs: 5, expectedProcessingMs: 100, expectedTotalMs: 105, ...over });
    const list = [c('z'), c('y', { expectedTotalMs: 101 }), c('x', { healthScore: 0.5 }), c('w', { state: 'degraded', expectedTotalMs: 1 }), c('v', { expectedTotalMs: 95 })];
    expect([...list].sort((a, b) => compareCandidates(a, b)).map((x) => x.agentId)).toEqual(['v', 'y', 'z', 'x', 'w']);
  });
});
