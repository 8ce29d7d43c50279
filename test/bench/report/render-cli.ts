/**
 * bench:report — re-renders docs/BENCHMARKS.md (and docs/arrival-errors.svg) from a results
 * folder; by default the newest run under bench-results/.
 *
 *   npm run bench:report [-- bench-results/2026-12-06T140305]
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { argv, stdout } from 'node:process';
import { publish, REPO } from './publish.js';

function newestRun(): string {
  const root = join(REPO, 'bench-results');
  // A run stopped before its first benchmark wrote anything has no JSON: not a report to render.
  const runs = readdirSync(root)
    .filter((d) => /^\d{4}-\d{2}-\d{2}T\d{6}/.test(d) && readdirSync(join(root, d)).some((f) => f.endsWith('.json')))
    .sort();
  if (runs.length === 0) throw new Error(`no run folder in ${root}: run \`npm run bench\` first`);
  return join(root, runs.at(-1)!);
}

const dir = argv[2] === undefined ? newestRun() : resolve(argv[2]);
for (const file of await publish(dir)) stdout.write(`written: ${file}\n`);
