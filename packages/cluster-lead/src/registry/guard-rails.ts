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
  /**
   * Heartbeats waiting in the lead's own ingest (verification backlog) at which the lead counts
   * itself as the slow part, as for event-loop lag (grace lagGraceMs). Absent: not watched.
   */
  backlogThreshold?: number;
}

export interface GuardDeps {
  clock: Clock;
  lag: LagMonitor;
}

/** How much work waits in the lead's own ingest now (set once the ingest exists). */
export type BacklogReader = () => number;

/** A stretch of time in which the lead itself was the slow or deaf part. */
export interface Impairment {
  readonly reason: GuardReason;
  readonly from: number;
  /** Infinity while it lasts (the broker is still down). */
  readonly to: number;
}

/** Impairments remembered: enough to cover any operation still being judged. */
const MAX_IMPAIRMENTS = 32;

export interface GuardReading {
  /** Multiplier for every liveness deadline: 1 normally, timeoutFactor while a guard holds. */
  factor: number;
  reasons: GuardReason[];
  lastLagMs: number;
  /** The ingest backlog at this reading (0 when not watched). */
  lastBacklog: number;
}

/**
 * Failure detectors fail worst when the detector is the sick one. A lead that was just
 * started (its agents have not had a full interval to reach it), that lost and regained its
 * NATS connection, whose own event loop lags (so its timers and its view of "now" are late),
 * or whose ingest has a backlog (replies, and so agents' measured latency, wait on it) widens
 * every deadline by `timeoutFactor` instead of declaring agents offline en masse, and does not
 * read agents' latency swings in that time as their own (heartbeat-apply.ts).
 */
export class GuardRails {
  private readonly until: Record<GuardReason, number> = { restart: 0, 'event-loop-lag': 0, 'transport-resumed': 0, 'ingest-backlog': 0 };
  private lastLagMs = 0;
  private lastBacklog = 0;
  private backlog: BacklogReader | undefined;
  /** Frames the ingest turned away unverified (OVERLOADED) so far, and that count at the last reading. */
  private shed: BacklogReader | undefined;
  private lastShed = 0;
  private lastReadAt: number | null = null;
  private readonly impairments: Impairment[] = [];
  /** When the broker connection was lost, while it is. */
  private lostAt: number | null = null;

  constructor(
    private readonly deps: GuardDeps,
    private readonly options: GuardOptions,
  ) {}

  /** A (re)start: grant every agent a grace period to reach us. */
  noteStart(): void {
    const now = this.deps.clock.now();
    this.until.restart = now + this.options.restartGraceMs;
    // Work sent before this start was interrupted by it; work sent after is judged as usual.
    this.impaired('restart', Number.NEGATIVE_INFINITY, now);
  }

  /** The transport went down: nothing agents send reaches us until it is back. */
  noteTransportLost(): void {
    this.lostAt ??= this.deps.clock.now();
  }

  /** The transport came back: heartbeats could not reach us while it was down. */
  noteTransportResumed(): void {
    const now = this.deps.clock.now();
    this.until['transport-resumed'] = now + this.options.restartGraceMs;
    this.impaired('transport-resumed', this.lostAt ?? now, this.until['transport-resumed']);
    this.lostAt = null;
  }

  /**
   * Whether the lead itself was impaired at any time since `sinceMs` (its restart grace, a
   * broker outage and the grace after it, event-loop lag and its grace): the reason, or null.
   * An agent's missing answer in such a window is the lead's doing as likely as the agent's,
   * so it must not cost the agent health or count as a breaker failure.
   */
  leadImpairedSince(sinceMs: number): GuardReason | null {
    const now = this.deps.clock.now();
    if (this.lostAt !== null) return 'transport-resumed';
    for (let i = this.impairments.length - 1; i >= 0; i--) {
      const episode = this.impairments[i]!;
      if (episode.to >= sinceMs && episode.from <= now) return episode.reason;
    }
    return null;
  }

  /**
   * Watches the ingest's backlog from now on (the ingest is built after the registry), and,
   * given `shed` (frames turned away unverified as OVERLOADED so far), counts any shedding
   * since the last reading as the backlog's doing: an agent whose beats the lead shed is
   * silent because of the lead, whatever the backlog reads at that moment.
   */
  watchBacklog(reader: BacklogReader, shed?: BacklogReader): void {
    this.backlog = reader;
    this.shed = shed;
    this.lastShed = shed?.() ?? 0;
  }

  /**
   * Why the lead counts itself impaired right now (a guard's grace holds, or the broker is
   * down), or null. Cheap enough to ask per heartbeat: agents' latency reports made while it
   * holds measure the lead, not the agents.
   */
  impairedNow(): GuardReason | null {
    if (this.lostAt !== null) return 'transport-resumed';
    const now = this.deps.clock.now();
    for (const reason in this.until) {
      if (now < this.until[reason as GuardReason]) return reason as GuardReason;
    }
    return null;
  }

  /** True while the restart grace holds (agents may still be finding, or re-synchronising with, this lead). */
  restartGraceActive(): boolean {
    return this.deps.clock.now() < this.until.restart;
  }

  /** Reads the lag monitor (once per sweep) and says how far deadlines stretch now. */
  read(): GuardReading {
    const now = this.deps.clock.now();
    this.lastLagMs = this.deps.lag.takeMaxLagMs();
    if (this.lastLagMs > this.options.lagThresholdMs) {
      this.until['event-loop-lag'] = now + this.options.lagGraceMs;
      // The lag happened somewhere since the previous reading; blame covers all of it.
      this.impaired('event-loop-lag', (this.lastReadAt ?? now) - this.lastLagMs, this.until['event-loop-lag']);
    }
    this.lastBacklog = this.backlog?.() ?? 0;
    const threshold = this.options.backlogThreshold;
    const shed = this.shed?.() ?? 0;
    const shedSince = shed - this.lastShed;
    this.lastShed = shed;
    if (threshold !== undefined && (this.lastBacklog >= threshold || shedSince > 0)) {
      this.until['ingest-backlog'] = now + this.options.lagGraceMs;
      this.impaired('ingest-backlog', this.lastReadAt ?? now, this.until['ingest-backlog']);
    }
    this.lastReadAt = now;
    const reasons = (Object.keys(this.until) as GuardReason[]).filter((reason) => now < this.until[reason]);
    return { factor: reasons.length > 0 ? this.options.timeoutFactor : 1, reasons, lastLagMs: this.lastLagMs, lastBacklog: this.lastBacklog };
  }

  private impaired(reason: GuardReason, from: number, to: number): void {
    const last = this.impairments.at(-1);
    // One episode per spell: a lag lasting many sweeps extends the last one.
    if (last !== undefined && last.reason === reason && from <= last.to) {
      this.impairments[this.impairments.length - 1] = { reason, from: Math.min(last.from, from), to: Math.max(last.to, to) };
      return;
    }
    this.impairments.push({ reason, from, to });
    if (this.impairments.length > MAX_IMPAIRMENTS) this.impairments.shift();
  }
}
