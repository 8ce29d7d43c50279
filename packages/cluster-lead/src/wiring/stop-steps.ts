/**
 * The lead's shutdown as a list of named steps, each bounded: one that throws or hangs (a
 * damaged database, a broker that stopped answering) must not keep the others, or the exit,
 * from happening.
 */
import type { LeadConfig } from '../config/index.js';
import type { Logger } from '../lib/logger.js';

/** A named stop step; its result is awaited, bounded by the step timeout. */
export type StopStep = readonly [name: string, run: () => unknown];

/** Each stop step gets this share of the shutdown timeout, so a hung one leaves time for the rest. */
const STOP_STEP_SHARE = 0.25;

export function stepTimeoutMs(config: LeadConfig): number {
  return Math.max(1, Math.floor(config.shutdown.timeout_ms * STOP_STEP_SHARE));
}

/** Runs every step in order whatever the others do; returns the names of those that threw or timed out. */
export async function runStopSteps(steps: readonly StopStep[], options: { stepTimeoutMs: number; logger: Logger }): Promise<string[]> {
  const failed: string[] = [];
  for (const [name, run] of steps) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.stepTimeoutMs);
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(run), timedOut]);
      if (outcome === 'timeout') {
        failed.push(name);
        options.logger.error({ step: name, timeout_ms: options.stepTimeoutMs }, `stop step "${name}" did not finish in time; going on without it`);
      }
    } catch (error) {
      failed.push(name);
      options.logger.error({ err: error, step: name }, `stop step "${name}" failed; going on`);
    } finally {
      clearTimeout(timer);
    }
  }
  return failed;
}
