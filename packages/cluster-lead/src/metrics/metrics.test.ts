import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { byLabel, registerProcessMetrics, scrapedCounter, scrapedGauge, single } from '@mesh30k/shared/node';

describe('metrics read at scrape time', () => {
  it('writes known label values at 0, mirrors the source, and reads the same twice in a row', async () => {
    const registry = new Registry();
    const refused = new Map<string, number>([['BAD_SIGNATURE', 2]]);
    let breakers: [string, number][] = [['c-1', 2]];
    scrapedCounter(registry, { name: 'x_refused_total', help: 'Refused.', labelNames: ['reason'], zeroes: [{ reason: 'EXPIRED' }, { reason: 'BAD_SIGNATURE' }], read: () => byLabel('reason', refused) });
    scrapedGauge(registry, { name: 'x_state', help: 'State.', labelNames: ['target_id'], read: () => byLabel('target_id', breakers) });
    scrapedGauge(registry, { name: 'x_depth', help: 'Depth.', read: () => single(3) });
    const first = await registry.metrics();
    expect(first).toContain('x_refused_total{reason="EXPIRED"} 0\n');
    expect(first).toContain('x_refused_total{reason="BAD_SIGNATURE"} 2\n');
    expect(first).toContain('x_state{target_id="c-1"} 2\n');
    expect(first).toContain('x_depth 3\n');
    expect(await registry.metrics()).toBe(first);
    // The source moves; a series whose subject is gone goes with it.
    refused.set('EXPIRED', 1);
    breakers = [];
    const later = await registry.metrics();
    expect(later).toContain('x_refused_total{reason="EXPIRED"} 1\n');
    expect(later).not.toContain('target_id="c-1"');
  });

  it('process metrics: prom-client defaults less the lag gauges that reset on scrape and the gauges named like counters', async () => {
    const registry = new Registry();
    registerProcessMetrics(registry);
    const names = registry.getMetricsAsArray().map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['process_cpu_user_seconds_total', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']));
    expect(names.filter((name) => name.startsWith('nodejs_eventloop_lag') || (name.startsWith('nodejs_active_') && name.endsWith('_total')))).toEqual([]);
    expect(await registry.metrics()).toContain('# TYPE process_cpu_user_seconds_total counter');
  });
});
