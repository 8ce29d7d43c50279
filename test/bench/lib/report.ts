import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeMachine, type MachineInfo } from './machine.js';

export interface BenchReport<T> {
  benchmark: string;
  startedAt: string;
  machine: MachineInfo;
  results: T;
}

const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * Writes results under bench-results/<date>/<benchmark>-<time>.json. The folder is named by
 * date and the file by time, so a run never overwrites an earlier one.
 */
export function writeReport<T>(benchmark: string, results: T, startedAt = new Date()): string {
  const report: BenchReport<T> = { benchmark, startedAt: startedAt.toISOString(), machine: describeMachine(), results };
  const day = startedAt.toISOString().slice(0, 10);
  const time = startedAt.toISOString().slice(11, 23).replaceAll(':', '').replace('.', '-');
  // MESH_BENCH_OUT: the run folder `npm run bench` made; the file goes straight into it.
  const dir = process.env.MESH_BENCH_OUT ?? join(process.env.MESH_BENCH_DIR ?? join(REPO_ROOT, 'bench-results'), day);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${benchmark}-${time}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`, { flag: 'wx' });
  return file;
}

/** Renders rows as an aligned plain-text table. */
export function formatTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: readonly (string | number)[]) => r.map((c, i) => String(c).padStart(widths[i] ?? 0)).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(2);
}
