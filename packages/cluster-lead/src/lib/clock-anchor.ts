/**
 * How far the lead's clock moved between two runs on the same host boot. The lead's clock is
 * the wall clock at start plus monotonic time since, so across a restart it jumps by however
 * much the wall clock was stepped meanwhile (NTP, an operator, a Pi without RTC). The
 * monotonic clock (CLOCK_MONOTONIC, shared by every process of one boot) does not jump: the
 * difference wall - monotonic, stored at each start, measures the step exactly. Across a
 * reboot the monotonic clock restarts, so the step is unknown there.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const ClockAnchor = z.object({ boot_id: z.string().min(1), wall_minus_mono_ms: z.number() });
export type ClockAnchor = z.infer<typeof ClockAnchor>;

export interface ClockStep {
  /** This run's anchor, to store for the next one (undefined where the boot cannot be identified). */
  readonly anchor: ClockAnchor | undefined;
  /** Lead clock now minus lead clock then, for the same instant; undefined when unknown. */
  readonly stepMs: number | undefined;
}

/** Compares this run's anchor with the previous run's. */
export function measureClockStep(previous: ClockAnchor | undefined, leadNowMs: number, monoNowMs: number, bootId: string | undefined): ClockStep {
  const anchor = bootId === undefined ? undefined : { boot_id: bootId, wall_minus_mono_ms: leadNowMs - monoNowMs };
  const stepMs = anchor !== undefined && previous !== undefined && previous.boot_id === anchor.boot_id ? anchor.wall_minus_mono_ms - previous.wall_minus_mono_ms : undefined;
  return { anchor, stepMs };
}

/** CLOCK_MONOTONIC in ms (libuv's hrtime): the same origin for every process of one boot. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Linux's id of this boot; undefined elsewhere. */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
