// The dashboard's chart data, computed in the page (web/src) but free of the DOM: the CDF's
// columns for uPlot and the breakers' bands over time.
import { describe, expect, it } from 'vitest';
import { breakerRows, type BreakerNow, type BreakerTransition } from '../../web/src/breaker-bands.js';
import { cdfData } from '../../web/src/cdf-data.js';

describe('cdfData', () => {
  it('gives each mode the share of its sent agents READY at or before every x, ties counted once each', () => {
    const data = cdfData(new Map([['hold', [1, -1, 1]], ['lead', [4]]]), { hold: 4, lead: 1 });
    expect(data.x).toEqual([...data.x].sort((a, b) => a - b));
    const at = (mode: number, x: number) => data.curves[mode]!.share[data.x.indexOf(x)];
    expect(at(0, -1)).toBe(0.25);
    expect(at(0, 1)).toBe(0.75);
    expect(at(0, 4)).toBe(0.75);
    expect(at(1, 1)).toBe(0);
    expect(at(1, 4)).toBe(1);
    expect(data.curves.map((c) => [c.mode, c.points, c.sent])).toEqual([
      ['hold', 3, 4],
      ['lead', 1, 1],
    ]);
    // Starts at 0 left of every error, ends flat at the last share, T (0) inside the range.
    expect(data.curves.map((c) => [c.share[0], c.share.at(-1)])).toEqual([
      [0, 0.75],
      [0, 1],
    ]);
    expect(data.x[0]).toBeLessThan(-1);
    expect(data.x.at(-1)).toBeGreaterThan(4);
  });

  it('takes the READY agents as the whole mode when the result does not say how many were sent', () => {
    expect(cdfData(new Map([['none', [3, 5]]])).curves[0]).toMatchObject({ sent: 2, points: 2 });
  });
});

describe('breakerRows', () => {
  const t = (seq: number, at: number, target: string, from: string, to: string): BreakerTransition => ({ seq, at, scope: 'cluster', target_id: target, from, to, kind: to, reason: 'test', shadow: false });
  const now = (target: string, state: string, scope = 'cluster'): BreakerNow => ({ scope, target_id: target, state, opened_at: null, next_check_at: null, failures_in_window: 0, metrics_only: false });

  it('draws a band per state from the window start to now, in the order of the log', () => {
    const rows = breakerRows([t(2, 300, 'a', 'open', 'half-open'), t(1, 200, 'a', 'closed', 'open')], [now('a', 'half-open')], 100, 500);
    expect(rows).toEqual([
      {
        key: 'cluster:a',
        label: 'cluster a',
        bands: [
          { from: 100, to: 200, state: 'closed' },
          { from: 200, to: 300, state: 'open' },
          { from: 300, to: 500, state: 'half-open' },
        ],
        states: ['closed', 'open', 'half-open'],
      },
    ]);
  });

  it('shows a breaker open with no logged transition (restored at start) in its state, and leaves closed ones out', () => {
    const rows = breakerRows([], [now('b', 'open', 'sector'), now('c', 'closed'), now('global', 'open', 'global')], 0, 10);
    expect(rows.map((r) => [r.label, r.states])).toEqual([
      ['global', ['open']],
      ['sector b', ['open']],
    ]);
  });
});
