import type { Clock } from '@mesh30k/shared';
import type { Sleep } from './system-clock.js';

export interface HoldDeps {
  clock: Clock;
  sleep: Sleep;
}

/** A sleep that does not move the clock this many times in a row means a broken timer. */
const MAX_IDLE_WAKES = 64;

/**
 * Waits until the Worker clock reads at least `untilLocal` and returns that reading, which is
 * the agent's READY instant. Sleeps for the whole remaining time, then re-reads the clock and
 * sleeps again if the timer fired early: workerd's timers and clock tick in whole
 * milliseconds, so the result is the first tick at or after `untilLocal`, never before it.
 */
export async function holdUntil(untilLocal: number, deps: HoldDeps): Promise<number> {
  let now = deps.clock.now();
  let idle = 0;
  while (now < untilLocal && idle < MAX_IDLE_WAKES) {
    await deps.sleep(Math.ceil(untilLocal - now));
    const after = deps.clock.now();
    idle = after > now ? 0 : idle + 1;
    now = after;
  }
  return now;
}
