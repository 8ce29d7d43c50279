/**
 * Counters and gauges whose values are read at scrape time from what a runtime counts anyway
 * (the lead's ingest, API and registry; the agent's status): nothing extra sits on the hot paths. Label values known up
 * front are written as 0 until they happen, so a rate() has a series from the first scrape.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type LabelSet = Readonly<Record<string, string | number>>;
export type Sample = readonly [labels: LabelSet, value: number];

export interface ScrapedMetric {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
  /** Label sets written as 0 before `read` adds to them. */
  readonly zeroes?: readonly LabelSet[];
  /** Every sample now: totals kept elsewhere (a counter's only grow). */
  readonly read: () => Iterable<Sample>;
}

/** A counter that mirrors monotonic totals kept elsewhere; reading it changes nothing at the source. */
export function scrapedCounter(registry: Registry, m: ScrapedMetric): Counter {
  return new Counter({
    name: m.name,
    help: m.help,
    labelNames: [...(m.labelNames ?? [])],
    registers: [registry],
    collect(this: Counter) {
      this.reset();
      for (const labels of m.zeroes ?? []) this.inc(labels, 0);
      for (const [labels, value] of m.read()) this.inc(labels, value);
    },
  });
}

/** A gauge set at scrape time; series that are gone (a removed breaker, a sensor no longer configured) go with it. */
export function scrapedGauge(registry: Registry, m: ScrapedMetric): Gauge {
  return new Gauge({
    name: m.name,
    help: m.help,
    labelNames: [...(m.labelNames ?? [])],
    registers: [registry],
    collect(this: Gauge) {
      this.reset();
      for (const labels of m.zeroes ?? []) this.set(labels, 0);
      for (const [labels, value] of m.read()) this.set(labels, value);
    },
  });
}

/** One unlabelled sample. */
export const single = (value: number): Sample[] => [[{}, value]];

/** `{label: key}` samples from a by-key count. */
export function byLabel(label: string, counts: Iterable<readonly [string | number, number]>): Sample[] {
  return [...counts].map(([key, value]) => [{ [label]: key }, value] as const);
}

/** Zero label sets for each of `values`. */
export const zeroesOf = (label: string, values: Iterable<string | number>): LabelSet[] => [...values].map((value) => ({ [label]: value }));
