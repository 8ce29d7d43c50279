import { readFileSync } from 'node:fs';

const SCHEDSTAT = '/proc/thread-self/schedstat';

/**
 * A reader of this thread's total time spent runnable but waiting for a CPU, ms (Linux
 * schedstat: cpu time, run-queue wait, timeslices, in ns), or undefined where the file cannot
 * be read. The simulator gives it to the release timer so that each release says how much of
 * its lateness was the machine's load; one small file read per timer arm and per pass.
 */
export function runQueueWaitReader(): (() => number) | undefined {
  const read = (): number => Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[1]) / 1e6;
  try {
    return Number.isFinite(read()) ? read : undefined;
  } catch {
    return undefined;
  }
}
