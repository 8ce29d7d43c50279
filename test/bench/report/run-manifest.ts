// What `npm run bench` ran, written beside the results as run.json, and read back by the report.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchReport } from '../lib/report.js';
import type { MachineInfo } from '../lib/machine.js';

export interface BenchRun {
  name: string;
  /** The command line, as a reader would type it from the repository root. */
  command: string;
  exitCode: number | null;
  timedOut: boolean;
  /** Not started: left out by --only, or the run's time budget was spent (see reason). */
  skipped: boolean;
  reason?: string;
  durationS: number;
  log: string;
}

export interface RunManifest {
  startedAt: string;
  quick: boolean;
  /** A caveat printed at the top of the report (e.g. a loaded machine). */
  note: string | null;
  machine: MachineInfo;
  runs: BenchRun[];
}

export interface LoadedRun {
  dir: string;
  manifest: RunManifest | null;
  reports: BenchReport<unknown>[];
  /** Console output of each benchmark, by run name. */
  logs: Record<string, string>;
}

/** Everything a results folder holds; a folder from a single bench script has no manifest. */
export async function loadRun(dir: string): Promise<LoadedRun> {
  const files = (await readdir(dir)).sort();
  const reports: BenchReport<unknown>[] = [];
  const logs: Record<string, string> = {};
  let manifest: RunManifest | null = null;
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    if (file === 'run.json') manifest = JSON.parse(text) as RunManifest;
    else if (file.endsWith('.json')) reports.push(JSON.parse(text) as BenchReport<unknown>);
    else if (file.endsWith('.log')) logs[file.slice(0, -'.log'.length)] = text;
  }
  return { dir, manifest, reports, logs };
}
