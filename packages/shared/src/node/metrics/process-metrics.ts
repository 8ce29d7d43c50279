/**
 * prom-client's default process_* and nodejs_* metrics, less two groups that break the
 * conventions this project is checked against (promtool check metrics, test/e2e/metrics):
 * - the event-loop lag gauges: their collector resets its monitor on every scrape, so two
 *   scrapers steal from each other (event-loop-delay.ts has the figure that replaces them);
 * - nodejs_active_{handles,requests,resources}_total: gauges named like counters; the same
 *   figures by type stay (nodejs_active_handles{type} ...), and their sum is a sum() away.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

const LEFT_OUT = [
  ...['lag', 'lag_min', 'lag_max', 'lag_mean', 'lag_stddev', 'lag_p50', 'lag_p90', 'lag_p99'].map((part) => `nodejs_eventloop_${part}_seconds`),
  ...['handles', 'requests', 'resources'].map((kind) => `nodejs_active_${kind}_total`),
];

export function registerProcessMetrics(registry: Registry): void {
  // The lag collector's monitor samples every `eventLoopMonitoringPrecision` ms even unread: slow it to once a second.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1_000 });
  for (const name of LEFT_OUT) registry.removeSingleMetric(name);
}
