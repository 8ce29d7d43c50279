/**
 * One `mesh-lead` or `mesh-agent` command as a child process, for fault tests: its JSON log
 * lines parsed as they arrive (tests wait on a line, never sleep), its stderr kept whole, its
 * exit awaited. `asUser` runs it as another uid via setpriv (root only), for permission faults
 * that root itself would never meet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { onProcessExit } from './exit-cleanup.js';

const REPO = join(import.meta.dirname, '..', '..');
export const LEAD_BIN = join(REPO, 'packages', 'cluster-lead', 'bin', 'mesh-lead.js');
export const AGENT_BIN = join(REPO, 'packages', 'pi-daemon', 'bin', 'mesh-agent.js');
const SETPRIV = '/usr/bin/setpriv';

/**
 * MESH_BUNDLE_DIR, for a child started with a minimal environment: it names the run's fresh
 * bundle of the bins (global-bundles.ts), which the launchers load instead of the sources.
 */
export function bundleEnv(): Record<string, string> {
  return process.env.MESH_BUNDLE_DIR === undefined ? {} : { MESH_BUNDLE_DIR: process.env.MESH_BUNDLE_DIR };
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface CliProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** The first log line (already seen or still to come) that matches; rejects if the process exits first or after timeoutMs. */
  waitForLine(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export interface CliProcessOptions {
  /** Added to a minimal environment (PATH, HOME, MESH_BUNDLE_DIR); nothing else of the test's is inherited. */
  env?: Record<string, string>;
  /** Run as this uid/gid (setpriv; the caller must be root). */
  asUser?: { uid: number; gid: number };
}

export function spawnCli(bin: string, args: readonly string[], options: CliProcessOptions = {}): CliProcess {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.asUser === undefined ? (process.env.HOME ?? '/tmp') : '/tmp', ...bundleEnv(), ...options.env };
  const [command, argv] =
    options.asUser === undefined
      ? [process.execPath, [bin, ...args]]
      : [SETPRIV, [`--reuid=${options.asUser.uid}`, `--regid=${options.asUser.gid}`, '--clear-groups', process.execPath, bin, ...args]];
  const child = spawn(command, argv, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const unregister = onProcessExit(() => child.kill('SIGKILL'));
  const lines: LogLine[] = [];
  let stderr = '';
  const listeners = new Set<() => void>();
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        lines.push({ msg: text });
      }
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('close', (code, signal) => {
      unregister();
      resolve({ code, signal, at: Date.now() });
      for (const listener of [...listeners]) listener();
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(what, match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${stderr}`))), timeoutMs);
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        const check = (): void => {
          const found = lines.find(match);
          if (found !== undefined) finish(() => resolve(found));
          else if (done || child.exitCode !== null) finish(() => reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before ${what}; stderr: ${stderr}`)));
        };
        listeners.add(check);
        check();
      });
    },
  };
}
