import { describe, expect, it } from 'vitest';
import { summaryAt } from './cascade.test-helper.js';
import { ChildLeadTable } from './child-table.js';
import { figuresOf, mergeSketches, sketchOf } from './distribution.js';
import { childSkipReason, neededLeadMs } from './level.js';
import { PRIORITY_ORDER, thresholdsFor } from './strategies.js';
import { impedanceFigures } from './summary.js';

const T0 = 1_800_000_000_000;
const summary = (leadId: string, over: Parameters<typeof summaryAt>[2] = {}) => summaryAt(leadId, T0, { message_id: `m-${leadId}-000001`, ...over });


describe('strategies', () => {
  it('each strategy has its own thresholds, wave the highest for leads', () => {
    expect(thresholdsFor('wave')).toEqual({ leadConfirmRate: 0.98, agentReadyRate: 0.95, childrenFirst: true });
    expect(thresholdsFor('parallel')).toEqual({ leadConfirmRate: 0.9, agentReadyRate: 0.9, childrenFirst: false });
    expect(PRIORITY_ORDER.map((p) => p.agentClass).slice(0, 5)).toEqual(['D', 'C', 'B', 'A', 'E']);
    expect(thresholdsFor('priority_first', 'D').agentReadyRate).toBe(0.99);
    expect(thresholdsFor('priority_first', 'E').agentReadyRate).toBe(0.85);
  });
});

describe('T for a cascade', () => {
  const table = new ChildLeadTable(15_000);
  table.record(summary('a', { max_lead_time_ms: 300, created_at: T0 }), T0 + 20);
  table.record(summary('b', { max_lead_time_ms: 100, created_at: T0 }), T0 + 80);
  const children = table.live(T0 + 100);

  it('estimates each hop from the smallest summary one-way time', () => {
    table.record(summary('a', { max_lead_time_ms: 300, created_at: T0 + 5_000, message_id: 'm-a-000002' }), T0 + 5_012);
    expect(table.get('a', T0 + 5_100)!.hopMs).toBe(12);
    table.noteCoordinateRtt('a', 40);
    expect(table.get('a', T0 + 5_100)!.hopMs).toBe(20);
  });

  it('is far enough ahead for the slowest child plus its hop and handling', () => {
    // a: 300 + 20 + 25; b: 100 + 80 + 25.
    expect(neededLeadMs(0, children, 25, false)).toBe(345);
    // Own agents needing more win; in a wave they also wait for the slowest confirmation.
    expect(neededLeadMs(400, children, 25, false)).toBe(400);
    expect(neededLeadMs(400, children, 25, true)).toBe(400 + 2 * 80 + 25);
  });

  it('leaves out stale, frozen, empty and incapable children, saying why', () => {
    const plan = { targets: { all: true }, agentCapabilities: [] as string[] };
    expect(childSkipReason(children[0]!, plan)).toBeNull();
    expect(childSkipReason({ ...children[0]!, liveness: 'stale' }, plan)).toMatch(/stale/);
    expect(childSkipReason({ ...children[0]!, summary: summary('a', { frozen: true }) }, plan)).toBe('frozen');
    expect(childSkipReason({ ...children[0]!, summary: summary('a', { agent_count: 0 }) }, plan)).toBe('no agents');
    expect(childSkipReason(children[0]!, { targets: { capability: 'camera' }, agentCapabilities: [] })).toMatch(/capability_mismatch/);
    expect(table.live(T0 + 100 + 20_000)).toEqual([]);
  });
});

describe('arrival sketches', () => {
  it('keep exact extremes, mean and hit rate, and close percentiles, when merged', () => {
    const a = Array.from({ length: 100 }, (_, i) => (i - 50) / 10);
    const b = Array.from({ length: 300 }, (_, i) => i / 30);
    const merged = figuresOf(mergeSketches([sketchOf(a, 5), sketchOf(b, 5)]));
    const all = [...a, ...b];
    const exact = figuresOf(sketchOf(all, 5));
    expect(merged.count).toBe(400);
    expect(merged.hitRate).toBe(exact.hitRate);
    expect(merged.signed!.min).toBe(-5);
    expect(merged.signed!.max).toBeCloseTo(299 / 30, 9);
    expect(merged.signed!.mean).toBeCloseTo(exact.signed!.mean, 9);
    expect(merged.abs!.max).toBeCloseTo(exact.abs!.max, 9);
    expect(Math.abs(merged.abs!.p50 - exact.abs!.p50)).toBeLessThan(0.3);
    expect(Math.abs(merged.abs!.p90 - exact.abs!.p90)).toBeLessThan(0.3);
  });

  it('say nothing for nobody ready', () => {
    expect(figuresOf(mergeSketches([sketchOf([], 5)]))).toEqual({ count: 0, hitRate: null, abs: null, signed: null });
  });
});

describe('impedance of a subtree', () => {
  it('is exact for own agents and count-weighted over children', () => {
    expect(impedanceFigures([100, 200, 300], [])).toEqual({ mean: 200, p50: 200, p95: 290, max: 300 });
    const merged = impedanceFigures([], [summary('a'), summary('b', { agent_count: 30, impedance: { mean: 200, p50: 200, p95: 250, max: 400 } })]);
    expect(merged).toEqual({ mean: 175, p50: 175, p95: 225, max: 400 });
  });
});
