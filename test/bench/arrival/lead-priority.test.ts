import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { setProcessNice } from './lead-priority.js';

let child: ReturnType<typeof spawn> | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

describe('setProcessNice', () => {
  it('lowers the priority of every thread of another process, and says so', async () => {
    child = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setTimeout(() => undefined, 10_000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    // Node's own threads are running once its script is.
    await new Promise((resolve) => child!.stdout!.once('data', resolve));
    const pid = child.pid!;
    expect(setProcessNice(pid, 5)).toBe(true);
    expect(getPriority(pid)).toBe(5);
    // Linux keeps a nice value per thread: the worker threads are lowered too.
    const threads = readdirSync(`/proc/${pid}/task`);
    expect(threads.length).toBeGreaterThan(1);
    for (const tid of threads) expect(niceOf(`/proc/${pid}/task/${tid}/stat`)).toBe(5);
  });

  it('answers false for a process that is not there', () => {
    expect(setProcessNice(2 ** 22 + 12_345, 5)).toBe(false);
  });
});

/** Field 19 of /proc/.../stat, counted after the command name (which may hold spaces). */
function niceOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
