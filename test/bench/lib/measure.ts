import { performance } from 'node:perf_hooks';

export interface RateResult {
  /** Operations per second: the median over rounds, and each round's figure. */
  opsPerSec: number;
  rounds: number[];
  /** Mean cost of one operation in microseconds, from the median rate. */
  microsPerOp: number;
}

export interface RateOptions {
  /** Time spent before measuring (JIT, caches), discarded. */
  warmupMs?: number;
  roundMs?: number;
  rounds?: number;
}

/**
 * Runs `op` back to back for fixed-length rounds after a discarded warm-up, and reports the
 * median rate. Rounds make noise on a shared machine visible instead of averaging it away.
 */
export async function measureRate(op: () => unknown, options: RateOptions = {}): Promise<RateResult> {
  const { warmupMs = 300, roundMs = 700, rounds = 5 } = options;
  await runFor(op, warmupMs);
  const results: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const { count, elapsed } = await runFor(op, roundMs);
    results.push((count / elapsed) * 1000);
  }
  const sorted = [...results].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return { opsPerSec: median, rounds: results, microsPerOp: median > 0 ? 1e6 / median : Number.NaN };
}

async function runFor(op: () => unknown, ms: number): Promise<{ count: number; elapsed: number }> {
  const start = performance.now();
  let count = 0;
  let now = start;
  // Check the clock every 64 operations so reading it does not dominate cheap operations.
  while (now - start < ms) {
    for (let i = 0; i < 64; i++) {
      const r = op();
      if (r instanceof Promise) await r;
    }
    count += 64;
    now = performance.now();
  }
  return { count, elapsed: now - start };
}

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
