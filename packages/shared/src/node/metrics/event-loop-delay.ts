/**
 * The event-loop delay as a histogram no scraper can steal from: a private perf_hooks monitor
 * is read and reset once a second by this module alone, and each second's worst delay is one
 * observation. Scrapes only read; two scrapers see the same counts. prom-client's own
 * nodejs_eventloop_lag_* gauges reset their monitor on every scrape, so they are left out.
 */
import { EVENT_LOOP_DELAY_BUCKETS_S } from '../../metrics/units.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, Histogram, type Registry } from 'prom-client';

/** One observation per window: the worst delay in it. */
export const LOOP_DELAY_WINDOW_MS = 1_000;
/** The monitor's sampling timer, ms: fine enough for a 10 ms-scale loop, cheap on a Pi. */
const RESOLUTION_MS = 20;

export function startEventLoopDelayMetrics(registry: Registry, prefix: string): () => void {
  const histogram = new Histogram({
    name: `${prefix}_event_loop_delay_seconds`,
    help: `Worst event-loop delay of each ${LOOP_DELAY_WINDOW_MS / 1000} s window, seconds (one observation per window).`,
    buckets: [...EVENT_LOOP_DELAY_BUCKETS_S],
    registers: [registry],
  });
  const last = new Gauge({
    name: `${prefix}_event_loop_delay_last_window_seconds`,
    help: 'Worst event-loop delay of the last complete window, seconds (reading it resets nothing).',
    registers: [registry],
  });
  const monitor = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  monitor.enable();
  const timer = setInterval(() => {
    // The monitor reports 0 max before its first sample; a window without samples adds nothing.
    if (monitor.count > 0) {
      const worst = monitor.max / 1e9;
      histogram.observe(worst);
      last.set(worst);
    }
    monitor.reset();
  }, LOOP_DELAY_WINDOW_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    monitor.disable();
  };
}
