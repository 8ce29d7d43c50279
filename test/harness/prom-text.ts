// Reading Prometheus text the way a scraper does, for tests: each sample with its family's
// type, and `promtool check metrics` (Debian's prometheus package, installed by
// scripts/setup.mjs) run on a page.
import { spawnSync } from 'node:child_process';

export interface PromSample {
  /** `name{labels}` exactly as written. */
  readonly key: string;
  readonly value: number;
  /** The `# TYPE` of the family it belongs to (`untyped` when none was declared). */
  readonly type: string;
}

/** Every sample of a text exposition page, keyed by `name{labels}`. */
export function parsePromText(text: string): Map<string, PromSample> {
  const types = new Map<string, string>();
  const out = new Map<string, PromSample>();
  for (const line of text.split('\n')) {
    const typed = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (typed !== null) types.set(typed[1]!, typed[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const key = line.slice(0, space);
    const name = key.replace(/\{.*$/, '');
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    out.set(key, { key, value: Number(line.slice(space + 1)), type: types.get(family) ?? 'untyped' });
  }
  return out;
}

/** The samples of counters and histograms (which only grow in one process) that went down from `before` to `after`. */
export function resetSamples(before: Map<string, PromSample>, after: Map<string, PromSample>): string[] {
  const went: string[] = [];
  for (const [key, sample] of before) {
    if (sample.type !== 'counter' && sample.type !== 'histogram') continue;
    const now = after.get(key);
    if (now === undefined || now.value < sample.value) went.push(`${key}: ${sample.value} -> ${now?.value ?? 'gone'}`);
  }
  return went;
}

export interface PromtoolVerdict {
  readonly code: number;
  /** What promtool printed: its lint problems, one a line; empty when clean. */
  readonly output: string;
}

/** Runs `promtool check metrics` on `text`; throws with what to do when promtool is not installed. */
export function promtoolCheckMetrics(text: string): PromtoolVerdict {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (run.error !== undefined) {
    const missing = (run.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'promtool is not installed: run `npm run setup` (it installs Debian\'s prometheus package) or `sudo apt-get install -y prometheus`' : `promtool failed to run: ${run.error.message}`);
  }
  return { code: run.status ?? -1, output: `${run.stdout}${run.stderr}`.trim() };
}

/**
 * The worst event-loop delay between two scrapes, ms, from the `<prefix>_event_loop_delay_seconds`
 * histogram (one observation per second: that second's worst): the bound of the lowest bucket
 * holding every observation made in between. NaN when a page is missing or nothing was
 * observed; Infinity when the worst was past the last bound.
 */
export function worstLoopDelayMsBetween(before: string | undefined, after: string | undefined, histogram = 'mesh_lead_event_loop_delay_seconds'): number {
  if (before === undefined || after === undefined) return Number.NaN;
  const buckets = (text: string): Map<number, number> => {
    const out = new Map<number, number>();
    for (const sample of parsePromText(text).values()) {
      const le = new RegExp(`^${histogram}_bucket\\{le="([^"]+)"\\}$`).exec(sample.key)?.[1];
      if (le !== undefined) out.set(le === '+Inf' ? Infinity : Number(le), sample.value);
    }
    return out;
  };
  const start = buckets(before);
  const end = buckets(after);
  const observed = (end.get(Infinity) ?? 0) - (start.get(Infinity) ?? 0);
  if (observed <= 0) return Number.NaN;
  const bounds = [...end.keys()].sort((a, b) => a - b);
  const bound = bounds.find((le) => (end.get(le) ?? 0) - (start.get(le) ?? 0) >= observed) ?? Infinity;
  return bound * 1000;
}
