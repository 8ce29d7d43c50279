import { describe, expect, it } from 'vitest';
import { Histogram, MetricsText, labelValue } from './prometheus-text.js';

describe('MetricsText', () => {
  it('writes families, labelled samples and non-finite values', () => {
    const text = new MetricsText()
      .single('x_total', 'counter', 'Things.', 3)
      .family('y', 'gauge', 'Why.')
      .sample('y', 1.5, { kind: 'a"b', n: 2 })
      .sample('y', Number.NaN)
      .text();
    expect(text).toBe('# HELP x_total Things.\n# TYPE x_total counter\nx_total 3\n# HELP y Why.\n# TYPE y gauge\ny{kind="a\\"b",n="2"} 1.5\ny NaN\n');
  });

  it('writes a histogram with cumulative buckets, +Inf, sum and count', () => {
    const h = new Histogram([1, 10]);
    for (const v of [0.5, 5, 50]) h.observe(v);
    const text = new MetricsText().histogram('d_ms', 'Delay.', h).text();
    expect(text).toContain('d_ms_bucket{le="1"} 1\nd_ms_bucket{le="10"} 2\nd_ms_bucket{le="+Inf"} 3\nd_ms_sum 55.5\nd_ms_count 3\n');
  });

  it('escapes backslashes and newlines in label values', () => {
    expect(labelValue('a\\b\nc')).toBe('a\\\\b\\nc');
  });
});
