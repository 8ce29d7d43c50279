/**
 * Gauge families written straight as exposition text (format 0.0.4), for families with one
 * series per sensor: prom-client hashes every label set when a gauge is set and formats each
 * series apart, which made a scrape with 1,000 sensors block the loop for milliseconds. Here a
 * series' labels are escaped once and shared by the families that carry them.
 */

/** `{name="value",...}` with values escaped as the format asks (backslash, quote, newline). */
export function labelText(labels: Readonly<Record<string, string>>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) parts.push(`${name}="${escapeLabelValue(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

const escapeLabelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (help: string): string => help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A sample value as the format writes it (NaN, +Inf, -Inf). */
export function valueText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** One sample: its label text (from labelText) and value. */
export type TextSample = readonly [labels: string, value: number];

/** One gauge family: HELP, TYPE and a line per sample, newline-terminated. */
export function gaugeFamilyText(name: string, help: string, samples: Iterable<TextSample>): string {
  let text = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} gauge\n`;
  for (const [labels, value] of samples) text += `${name}${labels} ${valueText(value)}\n`;
  return text;
}
