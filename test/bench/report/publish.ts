// Writes docs/BENCHMARKS.md and docs/arrival-errors.svg from one results folder.
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ArrivalResults } from '../arrival-bench.js';
import type { BenchReport } from '../lib/report.js';
import { cdfSvg } from './cdf-svg.js';
import { PLOT_FILE, renderBenchmarks } from './render.js';
import { loadRun } from './run-manifest.js';

export const REPO = join(import.meta.dirname, '..', '..', '..');
const DOCS = join(REPO, 'docs');

export function arrivalPlot(report: BenchReport<ArrivalResults>): string {
  const r = report.results;
  return cdfSvg(
    `True arrival error per release mode, ${r.agents} agents, ${report.startedAt.slice(0, 10)} (${report.machine.cores} cores)`,
    r.profiles.map((p) => ({ title: p.profile, series: Object.entries(p.samples).map(([mode, sorted]) => ({ name: mode === 'none' ? 'none (naive)' : mode, sorted })) })),
  );
}

export async function publish(dir: string): Promise<string[]> {
  const run = await loadRun(dir);
  const folder = relative(REPO, dir) || dir;
  const written = [join(DOCS, 'BENCHMARKS.md')];
  await writeFile(written[0]!, renderBenchmarks(run, folder));
  const arrival = run.reports.filter((r) => r.benchmark === 'arrival').at(-1) as BenchReport<ArrivalResults> | undefined;
  if (arrival !== undefined) {
    written.push(join(DOCS, PLOT_FILE));
    await writeFile(written[1]!, arrivalPlot(arrival));
  }
  return written;
}
