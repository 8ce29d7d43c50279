import type { Clock } from '@mesh30k/shared';

/**
 * The Worker's clock. Inside workerd, Date.now() is whole milliseconds and, on Cloudflare,
 * stands still while code runs (it moves only across I/O: a fetch, a storage call, a timer),
 * a Spectre mitigation. So a stamp marks the last I/O event, and CPU time is invisible to it.
 */
export const systemClock: Clock = { now: () => Date.now() };

/** Waits about `ms`; the runtime's timers are as coarse as its clock. */
export type Sleep = (ms: number) => Promise<void>;

export const timerSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
