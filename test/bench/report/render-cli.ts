/**
 * bench:report — re-renders docs/BENCHMARKS.md (and docs/arrival-errors.svg) from a results
 * folder; by default the newest run under bench-results/.
 *
 *   npm run bench:report [-- bench-results/2026-12-06T140305]
 *   npm run bench:report -- bench-results/2026-12-07T004500 --soak   (only the soak's section, from that folder)
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { argv, stdout } from 'node:process';
import { publish, publishSoak, REPO } from './publish.js';

function newestRun(): string {
  const root = join(REPO, 'bench-results');
  // A run stopped before its first benchmark wrote anything has no JSON: not a report to render.
  const runs = readdirSync(root)
    .filter((d) => /^\d{4}-\d{2}-\d{2}T\d{6}/.test(d) && readdirSync(join(root, d)).some((f) => f.endsWith('.json')))
    .sort();
  if (runs.length === 0) throw new Error(`no run folder in ${root}: run \`npm run bench\` first`);
  return join(root, runs.at(-1)!);
}

const args = argv.slice(2);
const soakOnly = args.includes('--soak');
const folder = args.find((a) => !a.startsWith('--'));
const dir = folder === undefined ? newestRun() : resolve(folder);
for (const file of soakOnly ? [await publishSoak(dir)] : await publish(dir)) stdout.write(`written: ${file}\n`);
