import { readFileSync } from 'node:fs';

const SCHEDSTAT = '/proc/thread-self/schedstat';

/**
 * A reader of this thread's total time spent runnable but waiting for a CPU, ms (Linux
 * schedstat: cpu time, run-queue wait, timeslices, in ns), or undefined where the file cannot
 * be read. The release timer uses it to tell the machine's load (waiting for a CPU, which no
 * spin margin fixes) from its own event loop being busy (which the margin covers), and each
 * release reports it; one small file read per timer arm, wake and pass.
 */
export function runQueueWaitReader(): (() => number) | undefined {
  const read = (): number => Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[1]) / 1e6;
  try {
    return Number.isFinite(read()) ? read : undefined;
  } catch {
    return undefined;
  }
}
