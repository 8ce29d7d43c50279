import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Clock } from '@mesh30k/shared';
import type { GuardReason } from '../lib/events.js';

/** The worst event-loop delay since the last call, in ms. */
export interface LagMonitor {
  takeMaxLagMs(): number;
  close(): void;
}

/** Event-loop delay from node:perf_hooks, sampled at `resolutionMs`. */
export function nodeLagMonitor(resolutionMs = 20): LagMonitor {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const NS_PER_MS = 1e6;
  return {
    takeMaxLagMs() {
      // The histogram includes the sampling interval itself; only the excess is lag.
      const max = histogram.max / NS_PER_MS - resolutionMs;
      histogram.reset();
      return Math.max(0, max);
    },
    close() {
      histogram.disable();
    },
  };
}

export interface GuardOptions {
  restartGraceMs: number;
  timeoutFactor: number;
  lagThresholdMs: number;
  lagGraceMs: number;
}

export interface GuardDeps {
  clock: Clock;
  lag: LagMonitor;
}

export interface GuardReading {
  /** Multiplier for every liveness deadline: 1 normally, timeoutFactor while a guard holds. */
  factor: number;
  reasons: GuardReason[];
  lastLagMs: number;
}

/**
 * Failure detectors fail worst when the detector is the sick one. A lead that was just
 * started (its agents have not had a full interval to reach it), that lost and regained its
 * NATS connection, or whose own event loop lags (so its timers and its view of "now" are
 * late) widens every deadline by `timeoutFactor` instead of declaring agents offline en masse.
 */
export class GuardRails {
  private readonly until: Record<GuardReason, number> = { restart: 0, 'event-loop-lag': 0, 'transport-resumed': 0 };
  private lastLagMs = 0;

  constructor(
    private readonly deps: GuardDeps,
    private readonly options: GuardOptions,
  ) {}

  /** A (re)start: grant every agent a grace period to reach us. */
  noteStart(): void {
    this.until.restart = this.deps.clock.now() + this.options.restartGraceMs;
  }

  /** The transport came back: heartbeats could not reach us while it was down. */
  noteTransportResumed(): void {
    this.until['transport-resumed'] = this.deps.clock.now() + this.options.restartGraceMs;
  }

  /** True while the restart grace holds (agents may still be finding, or re-synchronising with, this lead). */
  restartGraceActive(): boolean {
    return this.deps.clock.now() < this.until.restart;
  }

  /** Reads the lag monitor (once per sweep) and says how far deadlines stretch now. */
  read(): GuardReading {
    const now = this.deps.clock.now();
    this.lastLagMs = this.deps.lag.takeMaxLagMs();
    if (this.lastLagMs > this.options.lagThresholdMs) this.until['event-loop-lag'] = now + this.options.lagGraceMs;
    const reasons = (Object.keys(this.until) as GuardReason[]).filter((reason) => now < this.until[reason]);
    return { factor: reasons.length > 0 ? this.options.timeoutFactor : 1, reasons, lastLagMs: this.lastLagMs };
  }
}
