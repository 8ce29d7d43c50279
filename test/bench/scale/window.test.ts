import { describe, expect, it } from 'vitest';
import { loopDelayFromMetrics, windowFigures, type WindowEdge } from './window.js';

const start: WindowEdge = { atMs: 10_000, accepted: 5_000, leadCpuS: 100, simsCpuS: 40, natsCpuS: 7 };

describe('measured window', () => {
  it('counts only what happened between its edges, each part apart', () => {
    // 10 s, 2,000 heartbeats accepted: the 5,000 before the window are not counted.
    const f = windowFigures(start, { atMs: 20_000, accepted: 7_000, leadCpuS: 101.2, simsCpuS: 45, natsCpuS: 7.4 });
    expect(f.windowS).toBe(10);
    expect(f.accepted).toBe(2_000);
    expect(f.acceptedPerSec).toBe(200);
    expect(f.leadCores).toBeCloseTo(0.12);
    expect(f.simsCores).toBeCloseTo(0.5);
    expect(f.natsCores).toBeCloseTo(0.04);
    expect(f.leadCpuUsPerHeartbeat).toBeCloseTo(600);
    expect(f.natsCpuUsPerHeartbeat).toBeCloseTo(200);
  });

  it('has no per-heartbeat cost without heartbeats, and refuses an empty window', () => {
    expect(windowFigures(start, { ...start, atMs: 11_000, leadCpuS: 101 }).leadCpuUsPerHeartbeat).toBeNaN();
    expect(() => windowFigures(start, start)).toThrow(/not after its start/);
  });

  it('reads the worst event-loop delay between two lead metrics pages as the bound of its bucket', () => {
    const page = (counts: readonly number[]) =>
      ['# TYPE mesh_lead_event_loop_delay_seconds histogram', ...['0.01', '0.05', '0.1', '+Inf'].map((le, i) => `mesh_lead_event_loop_delay_seconds_bucket{le="${le}"} ${counts[i]}`), 'other 1', ''].join('\n');
    // Three new windows: two under 10 ms, one between 50 and 100 ms; the old ones do not count.
    expect(loopDelayFromMetrics(page([5, 6, 7, 7]), page([7, 8, 10, 10]))).toBe(100);
    expect(loopDelayFromMetrics(page([5, 6, 7, 7]), page([6, 7, 8, 8]))).toBe(10);
    expect(loopDelayFromMetrics(page([5, 6, 7, 7]), page([5, 6, 7, 8]))).toBe(Infinity);
    expect(loopDelayFromMetrics(page([5, 6, 7, 7]), page([5, 6, 7, 7]))).toBeNaN();
    expect(loopDelayFromMetrics('nothing here', page([1, 1, 1, 1]))).toBe(10);
    expect(loopDelayFromMetrics(undefined, page([1, 1, 1, 1]))).toBeNaN();
  });
});
