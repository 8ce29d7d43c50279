/** prom-client helpers both runtimes use: scrape-time families, the event-loop histogram, process metrics. */
export { LOOP_DELAY_WINDOW_MS, startEventLoopDelayMetrics } from './event-loop-delay.js';
export { registerProcessMetrics } from './process-metrics.js';
export { byLabel, scrapedCounter, scrapedGauge, single, zeroesOf, type LabelSet, type Sample, type ScrapedMetric } from './scraped.js';
