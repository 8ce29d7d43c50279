/**
 * prom-client's default process_* and nodejs_* metrics, less the event-loop lag family (it
 * resets its monitor on every scrape: see event-loop-delay.ts for the figure that replaces it).
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

/** The gauges prom-client's eventLoopLag collector writes; its collect() resets the shared monitor. */
const RESET_ON_SCRAPE = ['lag', 'lag_min', 'lag_max', 'lag_mean', 'lag_stddev', 'lag_p50', 'lag_p90', 'lag_p99'].map((part) => `nodejs_eventloop_${part}_seconds`);

export function registerProcessMetrics(registry: Registry): void {
  // The lag collector's monitor samples every `eventLoopMonitoringPrecision` ms even unread: slow it to once a second.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1_000 });
  for (const name of RESET_ON_SCRAPE) registry.removeSingleMetric(name);
}
