export { LOOP_DELAY_WINDOW_MS, byLabel, registerProcessMetrics, scrapedCounter, scrapedGauge, single, startEventLoopDelayMetrics, zeroesOf, type LabelSet, type Sample, type ScrapedMetric } from '@mesh30k/shared/node';
export { gaugeFamilyText, labelText, valueText, type TextSample } from './text-family.js';
