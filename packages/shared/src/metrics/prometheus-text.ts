/**
 * Prometheus text exposition (format 0.0.4), as pure string building: the lead's and the
 * agent's /metrics both write through this, and each serves the text itself. A few counters,
 * gauges and histograms do not need a client library.
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string | number>>;

/** Cumulative buckets, as Prometheus histograms count them. */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (value <= (this.bounds[i] ?? Infinity)) this.counts[i] = (this.counts[i] ?? 0) + 1;
  }
}

/** Escapes a label value (backslash, double quote, newline). */
export function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus writes non-finite samples as NaN, +Inf and -Inf. */
function sampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelText(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${labelValue(String(v))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Collects families and samples; `text()` gives the exposition, ending in a newline. */
export class MetricsText {
  private readonly lines: string[] = [];

  family(name: string, type: MetricType, help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels?: Labels): this {
    this.lines.push(`${name}${labelText(labels)} ${sampleValue(value)}`);
    return this;
  }

  /** A family with one sample: the common case for a counter or gauge without labels. */
  single(name: string, type: Exclude<MetricType, 'histogram'>, help: string, value: number): this {
    return this.family(name, type, help).sample(name, value);
  }

  histogram(name: string, help: string, h: Histogram): this {
    this.family(name, 'histogram', help);
    h.bounds.forEach((bound, i) => this.sample(`${name}_bucket`, h.counts[i] ?? 0, { le: bound }));
    return this.sample(`${name}_bucket`, h.count, { le: '+Inf' }).sample(`${name}_sum`, h.sum).sample(`${name}_count`, h.count);
  }

  /** Empty when nothing was written. */
  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}
