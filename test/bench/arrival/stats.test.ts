import { describe, expect, it } from 'vitest';
import { modeFigures, thin, type ArrivalLine, type MeasuredOperation } from './stats.js';
import { checkTargets } from './targets.js';

const op = (operationId: string, mode: string, succeeded = true): MeasuredOperation => ({ operationId, mode, targetTime: 1_000, targeted: 4, succeeded });
const line = (operation_id: string, agent_id: string, error: number, offsetError = 0.5): ArrivalLine => ({ operation_id, agent_id, mode: 'hold', ready_true_ms: 1_000 + error, offset_error_ms: offsetError });

describe('arrival figures', () => {
  const ops = [op('h1', 'hold'), op('h2', 'hold', false), op('n1', 'none')];
  const lines = [
    line('h1', 'a', -1), line('h1', 'b', 2), line('h1', 'c', 60), line('h1', 'd', 0.5),
    line('h2', 'a', 1), line('h2', 'b', -3), line('h2', 'c', 0), // d never READY in h2
    line('h1', 'a', 99), // a duplicate record of the same agent and operation: ignored
    line('other', 'a', 500), // not a measured operation (warm-up): ignored
  ];

  it('takes |true ready - T| per agent and operation, once each, and only of measured operations', () => {
    const f = modeFigures('hold', ops, lines, 50);
    expect(f.operations).toBe(2);
    expect(f.arrivalAbs.n).toBe(7);
    expect(f.arrivalAbs.max).toBe(60);
    expect(f.missing).toBe(1);
  });

  it('counts hits and the 50 ms KPI over targeted agents, so a missing agent is a miss', () => {
    const f = modeFigures('hold', ops, lines, 50);
    expect(f.hitRate).toBeCloseTo(6 / 8);
    expect(f.within50msRate).toBeCloseTo(6 / 8);
    expect(f.successRate).toBe(0.5);
    expect(f.offsetAbs.p50).toBe(0.5);
  });

  it('splits the true error exactly into the own-clock lateness and the offset error, and hold lateness into timer and late processing', () => {
    const exact = [
      // Released 0.3 ms after T on its own clock, which is 0.5 ms ahead: truly 0.2 ms early.
      { ...line('h1', 'a', -0.2, 0.5), finished_mesh_ms: 900 },
      // Processing ended 40 ms after T; the timer added 0.1 ms; the clock is 1 ms behind.
      { ...line('h1', 'b', 41.1, -1), finished_mesh_ms: 1_040 },
    ];
    const f = modeFigures('hold', [op('h1', 'hold')], exact, 50);
    expect(f.latenessSigned!.max).toBeCloseTo(40.1, 9);
    expect(f.latenessSigned!.n).toBe(2);
    expect(f.timerLateness!.max).toBeCloseTo(0.3, 9);
    expect(f.timerLateness!.p50).toBeGreaterThan(0.09);
    expect(f.finishedAfterT).toEqual({ n: 1, maxMs: 40 });
    // error = lateness - offset error, record by record
    expect(f.arrivalAbs.max).toBeCloseTo(41.1, 9);
  });

  it('keeps the timer part to hold mode', () => {
    const f = modeFigures('none', [op('n1', 'none')], [{ ...line('n1', 'a', 30), mode: 'none', finished_mesh_ms: 1_030.5 }], 50);
    expect(f.latenessSigned!.p50).toBeCloseTo(30.5, 9);
    expect(f.timerLateness!.n).toBe(0);
    expect(f.finishedAfterT).toEqual({ n: 0, maxMs: 0 });
  });

  it('gives NaN rates, not zeros, when nothing was measured', () => {
    const f = modeFigures('lead', ops, lines, 50);
    expect(f.arrivalAbs.n).toBe(0);
    expect(f.hitRate).toBeNaN();
  });
});

describe('targets', () => {
  const figures = (mode: string, p99: number, max: number, p90 = p99) => ({
    mode, operations: 1, arrivalAbs: { n: 10, p50: 0, p90, p99, max }, arrivalSignedP50: 0, offsetAbs: { n: 10, p50: 0, p90: 0, p99: 0, max: 0 },
    offsetSignedP50: 0, hitRate: 1, successRate: 1, within50msRate: 1, missing: 0, stragglers: 0,
  });

  it('says by how much a target is missed, and compares naive with hold on the mixed profile', () => {
    const checks = checkTargets({ profile: 'mixed', halfAsymmetryMs: 0, modes: [figures('hold', 3.5, 4), figures('lead', 80, 90, 60), figures('none', 200, 300)] });
    const find = (metric: string) => checks.find((c) => c.metric === metric)!;
    expect(find('arrival |error| p99 (ms)')).toMatchObject({ met: false, missedBy: 1.5 });
    expect(find('arrival |error| max (ms)')).toMatchObject({ met: true, missedBy: 0 });
    expect(find('arrival |error| p90 (ms)')).toMatchObject({ mode: 'lead', met: false, missedBy: 10 });
    const ratio = find('naive p99 / hold p99');
    expect(ratio.actual).toBeCloseTo(200 / 3.5);
    expect(ratio.met).toBe(false);
  });

  it('widens the hold bounds by the half-asymmetry of an asymmetric link', () => {
    const checks = checkTargets({ profile: 'asymmetric', halfAsymmetryMs: 30, modes: [figures('hold', 31, 33)] });
    expect(checks.filter((c) => c.metric.startsWith('arrival')).every((c) => c.met)).toBe(true);
  });

  it('treats nothing measured as a miss', () => {
    const checks = checkTargets({ profile: 'lan', halfAsymmetryMs: 0, modes: [figures('hold', Number.NaN, Number.NaN)] });
    expect(checks[0]!.met).toBe(false);
  });
});

describe('thinning samples for the plot', () => {
  it('keeps the minimum and the maximum and spaces the rest evenly', () => {
    const sorted = Array.from({ length: 1_001 }, (_, i) => i);
    expect(thin(sorted, 11)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000]);
    expect(thin([1, 2], 11)).toEqual([1, 2]);
  });
});
