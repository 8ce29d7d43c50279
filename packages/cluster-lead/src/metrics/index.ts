export { LOOP_DELAY_WINDOW_MS, startEventLoopDelayMetrics } from './event-loop-delay.js';
export { registerProcessMetrics } from './process-metrics.js';
export { byLabel, scrapedCounter, scrapedGauge, single, zeroesOf, type LabelSet, type Sample, type ScrapedMetric } from './scraped.js';
export { gaugeFamilyText, labelText, valueText, type TextSample } from './text-family.js';
