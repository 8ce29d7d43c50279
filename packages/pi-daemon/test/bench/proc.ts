/**
 * Helpers for the agent benchmarks: `mesh-agent` as a child process (through bin/mesh-agent.js
 * with MESH_USE_BUNDLE=1, so the built bundle runs when there is one), and CPU / RSS samples of a process from
 * /proc, so the figures are what the kernel charges the process, not what it says of itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/mesh-agent.js', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../dist/mesh-agent.mjs', import.meta.url));
/** Clock ticks per second of utime/stime in /proc/<pid>/stat (USER_HZ). */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** How the child runs: the esbuild bundle, or the TypeScript sources through tsx. */
export type Runtime = 'bundle (dist/mesh-agent.mjs)' | 'tsx (src/cli/index.ts)';

/** Builds the bundle (`npm run build -w @mesh30k/pi-daemon`); says which runtime the children will use. */
export function buildAgent(): { runtime: Runtime; buildError?: string } {
  const built = spawnSync('npm', ['run', 'build', '-w', '@mesh30k/pi-daemon'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status === 0 && existsSync(BUNDLE)) return { runtime: 'bundle (dist/mesh-agent.mjs)' };
  const error = `${built.stderr}`.trim().split('\n').slice(-3).join(' ');
  return { runtime: existsSync(BUNDLE) ? 'bundle (dist/mesh-agent.mjs)' : 'tsx (src/cli/index.ts)', buildError: error || `exit ${built.status}` };
}

export interface AgentChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Parsed JSON lines of stdout (log lines for `run`, totals for `sim`). */
  readonly lines: Record<string, unknown>[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first line matching, or rejects after timeoutMs or on exit. */
  waitForLine(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

/** `nodeArgs` go before the launcher (e.g. `--cpu-prof` for a profile of the child). */
export function spawnAgent(args: readonly string[], nodeArgs: readonly string[] = []): AgentChild {
  // In a checkout the launcher runs the sources through tsx unless MESH_USE_BUNDLE=1 asks for the
  // bundle; without a bundle it falls back to the sources, which buildAgent() reports.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', MESH_USE_BUNDLE: '1' };
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('mesh-agent did not start');
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        lines.push({ text });
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 200) stderr.push(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => {
    running = false;
  });
  return {
    child,
    pid: child.pid,
    lines,
    stderr,
    exited,
    async waitForLine(match, what, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(match);
        if (found !== undefined) return found;
        if (!running) throw new Error(`mesh-agent exited before ${what}; stderr: ${stderr.join('').slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(100);
      }
    },
    async stop(graceMs = 10_000) {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface ProcSample {
  /** performance-independent wall clock, ms. */
  at: number;
  /** utime + stime of every thread of the process, ms. */
  cpuMs: number;
  rssMb: number;
}

/** One reading of /proc/<pid>/stat (utime, stime) and /proc/<pid>/status (VmRSS). */
export function readProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Field 14 (utime) and 15 (stime) of proc(5); fields[0] here is field 3 (state).
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return { at: Date.now(), cpuMs: (ticks * 1000) / CLK_TCK, rssMb: rssKb / 1024 };
}

/** Samples `pid` every `everyMs` for `forMs`; the first sample is the baseline for CPU. */
export async function sampleProc(pid: number, forMs: number, everyMs = 1_000): Promise<ProcSample[]> {
  const samples = [readProc(pid)];
  const end = samples[0]!.at + forMs;
  while (Date.now() < end) {
    await sleep(Math.min(everyMs, end - Date.now()));
    samples.push(readProc(pid));
  }
  return samples;
}

export interface ProcSummary {
  window_s: number;
  cpu_pct_of_core: number;
  rss_max_mb: number;
  rss_median_mb: number;
  samples: number;
}

export function summarizeProc(samples: readonly ProcSample[]): ProcSummary {
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const rss = samples.map((s) => s.rssMb).sort((a, b) => a - b);
  const windowMs = last.at - first.at;
  return {
    window_s: windowMs / 1000,
    cpu_pct_of_core: windowMs > 0 ? ((last.cpuMs - first.cpuMs) / windowMs) * 100 : Number.NaN,
    rss_max_mb: rss.at(-1)!,
    rss_median_mb: rss[Math.floor(rss.length / 2)]!,
    samples: samples.length,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
