/**
 * npm run bench — every benchmark, one child process each, results into a new folder
 * bench-results/<YYYY-MM-DD>T<HHMMSS>/ (JSON from each, its console output as <name>.log, and
 * run.json saying what ran), then docs/BENCHMARKS.md and docs/arrival-errors.svg from it.
 *
 *   npm run bench                       (bounded to 40 min)
 *   npm run bench -- --quick            (reduced sizes, bounded to 12 min)
 *   npm run bench -- --only arrival,scale --note "loaded machine"
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './lib/machine.js';
import { publish, REPO } from './report/publish.js';
import { createRunDir } from './report/run-dir.js';
import type { BenchRun, RunManifest } from './report/run-manifest.js';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, note: { type: 'string' } } });
const QUICK = flags.quick;
const TOTAL_BUDGET_MS = (QUICK ? 12 : 40) * 60_000;
/** A benchmark is not started with less than this left: it could not finish anything useful. */
const MIN_START_MS = 30_000;
const KILL_GRACE_MS = 10_000;

interface Bench {
  name: string;
  script: string;
  /** Prefix of the environment variables that size it (see the head of its script). */
  sizing?: string;
  args: { full: string[]; quick: string[] };
  env: { full: Record<string, string>; quick: Record<string, string> };
  /** Longest this benchmark may run; it is killed (process group) past it. */
  budgetMs: { full: number; quick: number };
}

const MIN = 60_000;
// Ordered by how much the report needs each: the arrival figures are the headline. Both sets of
// budgets add up to more than the run's bound (12 / 40 min): its deadline trims the last ones.
const BENCHES: Bench[] = [
  { name: 'crypto', script: 'test/bench/crypto-bench.ts', args: { full: [], quick: [] }, env: { full: {}, quick: {} }, budgetMs: { full: 2 * MIN, quick: 1 * MIN } },
  {
    name: 'arrival',
    script: 'test/bench/arrival-bench.ts',
    sizing: 'ARRIVAL_',
    args: { full: [], quick: ['--quick'] },
    env: { full: { ARRIVAL_PROFILE_BUDGET_MS: '120000' }, quick: { ARRIVAL_AGENTS: '150', ARRIVAL_OPS: '2', ARRIVAL_PROFILE_BUDGET_MS: '30000' } },
    budgetMs: { full: 9 * MIN, quick: 2.75 * MIN },
  },
  { name: 'lead', script: 'test/bench/lead-bench.ts', sizing: 'MESH_LEAD_BENCH_', args: { full: [], quick: [] }, env: { full: { MESH_LEAD_BENCH_SIZES: '1000,3000' }, quick: { MESH_LEAD_BENCH_SIZES: '500' } }, budgetMs: { full: 5 * MIN, quick: 1.5 * MIN } },
  {
    name: 'agent',
    script: 'test/bench/agent-bench.ts',
    args: { full: ['--steps', '1000,2500,5000', '--window', '30', '--idle', '40'], quick: ['--steps', '1000', '--window', '10', '--idle', '15'] },
    env: { full: {}, quick: {} },
    budgetMs: { full: 4 * MIN, quick: 0.75 * MIN },
  },
  { name: 'edge-coordinate', script: 'test/bench/edge-coordinate-bench.ts', sizing: 'EDGE_BENCH_', args: { full: [], quick: [] }, env: { full: {}, quick: { EDGE_BENCH_REQUESTS: '200', EDGE_BENCH_HOLDS: '50' } }, budgetMs: { full: 1.5 * MIN, quick: 0.5 * MIN } },
  { name: 'edge-arrival', script: 'test/bench/edge-arrival-bench.ts', sizing: 'EDGE_ARRIVAL_', args: { full: [], quick: [] }, env: { full: {}, quick: { EDGE_ARRIVAL_OPS: '5' } }, budgetMs: { full: 1.5 * MIN, quick: 0.5 * MIN } },
  { name: 'scale', script: 'test/bench/scale-bench.ts', sizing: 'SCALE_', args: { full: [], quick: ['--quick'] }, env: { full: { SCALE_BUDGET_S: '240' }, quick: { SCALE_BUDGET_S: '45' } }, budgetMs: { full: 6 * MIN, quick: 1.25 * MIN } },
  // 10 (quick: 2) minutes measured, plus start-up, warm-up and the drain; shortened to fit the deadline.
  { name: 'soak', script: 'test/bench/soak-bench.ts', sizing: 'SOAK_', args: { full: [], quick: ['--quick'] }, env: { full: {}, quick: {} }, budgetMs: { full: 14 * MIN, quick: 4 * MIN } },
];

/** The process group of the benchmark running now: a Ctrl-C of the runner must end it too. */
let runningGroup: number | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (runningGroup !== undefined) {
      try {
        process.kill(-runningGroup, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    process.exit(130);
  });
}

/** Runs one benchmark in its own process group, so a timeout ends it and everything it started. */
function runBench(bench: Bench, dir: string, timeoutMs: number): Promise<BenchRun> {
  const args = QUICK ? bench.args.quick : bench.args.full;
  // A variable already set by the caller wins (e.g. ARRIVAL_AGENTS=100 npm run bench -- --quick).
  const extraEnv = Object.fromEntries(Object.entries(QUICK ? bench.env.quick : bench.env.full).map(([k, v]) => [k, process.env[k] ?? v]));
  // The command as it can be typed again: with the sizing variables the caller set too.
  const callerEnv = Object.entries(process.env).filter(([k]) => bench.sizing !== undefined && k.startsWith(bench.sizing) && !(k in extraEnv));
  const command = [...[...callerEnv, ...Object.entries(extraEnv)].map(([k, v]) => `${k}=${v}`), 'npx tsx', bench.script, ...args].join(' ');
  const log = join(dir, `${bench.name}.log`);
  const out = createWriteStream(log);
  const started = Date.now();
  process.stdout.write(`\n=== ${bench.name}: ${command} (at most ${Math.round(timeoutMs / 1000)} s)\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', bench.script, ...args], {
      cwd: REPO,
      env: { ...process.env, ...extraEnv, MESH_BENCH_OUT: dir, MESH_BENCH_DEADLINE: String(started + timeoutMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    runningGroup = child.pid;
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        out.write(chunk);
        process.stdout.write(chunk);
      });
    }
    let timedOut = false;
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup('SIGTERM');
      setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);
    child.once('close', (code) => {
      runningGroup = undefined;
      clearTimeout(timer);
      out.end();
      resolve({ name: bench.name, command, exitCode: code, timedOut, skipped: false, durationS: (Date.now() - started) / 1000, log: `${bench.name}.log` });
    });
  });
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const deadline = startedAt.getTime() + TOTAL_BUDGET_MS;
  const dir = createRunDir(join(REPO, 'bench-results'), startedAt);
  process.stdout.write(`results: ${dir}\n`);
  const only = flags.only?.split(',');
  const manifest: RunManifest = { startedAt: startedAt.toISOString(), quick: QUICK, note: flags.note ?? null, machine: describeMachine(), runs: [] };
  const save = (): Promise<void> => writeFile(join(dir, 'run.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const bench of BENCHES) {
    const skip = (reason: string): void => void manifest.runs.push({ name: bench.name, command: `npx tsx ${bench.script}`, exitCode: null, timedOut: false, skipped: true, reason, durationS: 0, log: '' });
    if (only !== undefined && !only.includes(bench.name)) {
      skip('not selected (--only)');
      continue;
    }
    const budget = Math.min(QUICK ? bench.budgetMs.quick : bench.budgetMs.full, deadline - Date.now());
    if (budget < MIN_START_MS) {
      skip('the time budget of the run was spent');
      continue;
    }
    manifest.runs.push(await runBench(bench, dir, budget));
    await save();
  }
  await save();
  for (const file of await publish(dir)) process.stdout.write(`written: ${file}\n`);
  const failed = manifest.runs.filter((r) => r.reason !== 'not selected (--only)' && (r.skipped || r.timedOut || r.exitCode !== 0));
  const asked = manifest.runs.filter((r) => r.reason !== 'not selected (--only)').length;
  process.stdout.write(`\n${asked - failed.length}/${asked} benchmarks completed in ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s${failed.length > 0 ? `; not completed: ${failed.map((r) => r.name).join(', ')}` : ''}\n`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

await main();
