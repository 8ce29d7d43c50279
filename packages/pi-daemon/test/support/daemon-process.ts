/**
 * `mesh-agent` as a child process, started by its launcher: from the TypeScript sources, or
 * from the bundle the test run built from them moments ago (MESH_BUNDLE_DIR, never a stale
 * dist/), with its JSON log lines parsed as they arrive so tests can wait on named events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleEnv } from '../../../../test/harness/cli-process.js';
import type { LogLine } from './log-capture.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const LAUNCHER = fileURLToPath(new URL('../../bin/mesh-agent.js', import.meta.url));

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  readonly stderr: string[];
  /** Resolves with the first log line matching, or rejects after timeoutMs or on exit. */
  waitForLine(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when `count` lines match. */
  waitForCount(match: (line: LogLine) => boolean, count: number, what: string, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export function spawnCli(args: readonly string[], env: Record<string, string> = {}): DaemonProcess {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...bundleEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const listeners = new Set<() => void>();
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        lines.push({ level: 0, msg: text });
      }
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr.push(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const listener of [...listeners]) listener();
    });
  });
  const waitForCount = (match: (line: LogLine) => boolean, count: number, what: string, timeoutMs = 15_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (lines.filter(match).length >= count) {
          done();
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`daemon exited (${child.exitCode ?? child.signalCode}) before ${what}; stderr: ${stderr.join('')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  return {
    child,
    lines,
    stderr,
    exited,
    waitForCount,
    async waitForLine(match, what, timeoutMs) {
      await waitForCount(match, 1, what, timeoutMs);
      return lines.find(match)!;
    },
    kill: (signal) => void child.kill(signal),
  };
}
