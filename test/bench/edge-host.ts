/**
 * Runs the edge Worker in workerd for benchmarks: bundled exactly as `wrangler deploy` would
 * (a dry run into a temporary directory), then served by Miniflare with the Durable Object,
 * vars and compatibility date from packages/edge-worker/wrangler.jsonc and the secrets given.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

const PACKAGE_DIR = join(import.meta.dirname, '..', '..', 'packages', 'edge-worker');
const CONFIG = join(PACKAGE_DIR, 'wrangler.jsonc');

export interface EdgeHost {
  url: URL;
  /** The workerd process serving the Worker (for CPU accounting). */
  workerdPid: number | null;
  dispose(): Promise<void>;
}

export async function startEdgeWorker(secrets: Record<string, string>): Promise<EdgeHost> {
  const outDir = mkdtempSync(join(tmpdir(), 'edge-bench-'));
  bundle(outDir);
  // Quiet wrangler's config warnings (secrets are given below, not from .dev.vars).
  process.env.WRANGLER_LOG ??= 'error';
  const { workerOptions } = unstable_getMiniflareWorkerOptions(CONFIG, '');
  const before = workerdChildren();
  const mf = new Miniflare({
    ...workerOptions,
    name: 'edge-bench',
    modules: true,
    modulesRoot: outDir,
    scriptPath: join(outDir, 'index.js'),
    bindings: { ...(workerOptions.bindings ?? {}), ...secrets },
    durableObjectsPersist: false,
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = await mf.ready;
  const started = workerdChildren().filter((pid) => !before.includes(pid));
  return {
    url,
    workerdPid: started[0] ?? null,
    async dispose() {
      await mf.dispose();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

function bundle(outDir: string): void {
  const wrangler = join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin', 'wrangler.js');
  const result = spawnSync(process.execPath, [wrangler, 'deploy', '--dry-run', '--env=', '--outdir', outDir], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`wrangler could not bundle the Worker:\n${result.stderr}`);
}

/** workerd processes started by this process (Miniflare spawns one per instance). */
function workerdChildren(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm.startsWith('workerd') && ppid === process.pid) found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/**
 * CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat. Clock ticks
 * (10 ms on Linux), so a phase must run long enough for the difference to mean something.
 */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / clockTicksPerSecond();
}

let ticksPerSecond: number | undefined;
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    ticksPerSecond = out.status === 0 ? Number(out.stdout.trim()) || 100 : 100;
  }
  return ticksPerSecond;
}
