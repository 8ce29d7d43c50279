import { describe, expect, it } from 'vitest';
import { cdfPoints, cdfSvg, logX } from './cdf-svg.js';

describe('CDF plot', () => {
  it('puts each decade at an equal step and clamps what lies outside the axis', () => {
    expect(logX(0.01, 600)).toBe(0);
    expect(logX(1, 600)).toBe(200);
    expect(logX(10_000, 600)).toBe(600);
    expect(logX(0, 600)).toBe(0);
    expect(logX(1e9, 600)).toBe(600);
  });

  it('steps from 0 to 1 over the samples', () => {
    const points = cdfPoints([1, 10], 600, 100).split(' ');
    expect(points[0]).toBe('200.0,100.0');
    expect(points.at(-1)).toBe('300.0,0.0');
    expect(cdfPoints([], 600, 100)).toBe('');
  });

  it('is one SVG document with a panel per profile and a line per mode, text escaped', () => {
    const svg = cdfSvg('errors <true>', [
      { title: 'lan', series: [{ name: 'hold', sorted: [0.1, 0.2] }, { name: 'none', sorted: [100] }] },
      { title: 'mixed', series: [{ name: 'hold', sorted: [] }] },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    expect(svg).toContain('errors &lt;true&gt;');
    expect(svg).toContain('hold (n=2)');
  });
});
