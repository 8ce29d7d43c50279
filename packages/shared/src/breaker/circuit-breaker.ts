import type { Clock } from '../lib/clock.js';
import type { BreakerAction } from '../protocol/enums.js';
import { breakerEventName, shadowOf, type BreakerChange, type BreakerState, type BreakerTransition } from './events.js';
import { resolveBreakerOptions, type BreakerOptions } from './options.js';

export interface BreakerSnapshot {
  readonly state: BreakerState;
  /** Failures inside the window (closed state only; 0 otherwise). */
  readonly failuresInWindow: number;
  /** Failed probes and half-open failures since the breaker last closed; drives the back-off. */
  readonly failedProbes: number;
  readonly openedAt: number | null;
  readonly nextCheckAt: number | null;
  /** Trial requests still admitted in half-open; null in other states. */
  readonly trialsLeft: number | null;
  readonly metricsOnly: boolean;
}

/**
 * One breaker: closed -> open (too many failures in the window) -> probe when due ->
 * half-open (a limited number of trials for an observation period) -> closed, or back to
 * open with a longer wait when the probe or a trial fails.
 *
 * No timers: `nextCheckAt()` says when the caller should probe or call `tick()`. Opening to
 * half-open needs a probe result (`recordProbe`); half-open closes by itself once the
 * observation period passes with no failure. Transitions that became due while only queries
 * ran are kept and returned by the next mutating call, so no event is lost.
 *
 * Metrics-only (shadow): the state machine runs the same, events are reported as `would-*`,
 * and `isRoutable`/`admit` always say yes. Since traffic keeps flowing, the first outcome
 * recorded once a probe is due counts as the probe.
 */
export class CircuitBreaker {
  private readonly opts: BreakerOptions;
  private st: BreakerState = 'closed';
  private failures: number[] = [];
  private openedAt: number | null = null;
  private nextProbeAt: number | null = null;
  private failedProbes = 0;
  private observationEndsAt: number | null = null;
  private trialsUsed = 0;
  private pending: BreakerTransition[] = [];

  constructor(
    private readonly clock: Clock,
    options: Partial<BreakerOptions> = {},
  ) {
    this.opts = resolveBreakerOptions(options);
  }

  get options(): BreakerOptions {
    return this.opts;
  }

  state(): BreakerState {
    this.settle();
    return this.st;
  }

  recordFailure(reason = 'failure'): BreakerTransition[] {
    this.settle();
    const now = this.clock.now();
    switch (this.st) {
      case 'closed': {
        this.failures.push(now);
        this.prune(now);
        if (this.failures.length > this.opts.tripAbove) {
          const n = this.failures.length;
          this.open(now, this.opts.openDurationMs, `${n} failures within ${this.opts.failureWindowMs} ms (last: ${reason})`);
        }
        break;
      }
      case 'open':
        // No traffic should reach an open target; a late failure says nothing new.
        if (this.opts.metricsOnly && this.probeDue(now)) this.probeFailed(now, `shadow probe failed: ${reason}`);
        break;
      case 'half-open':
        this.failedProbes++;
        this.open(now, this.backoff(), `trial failed during observation: ${reason}`);
        break;
    }
    return this.takeEvents();
  }

  recordSuccess(): BreakerTransition[] {
    this.settle();
    const now = this.clock.now();
    if (this.st === 'open' && this.opts.metricsOnly && this.probeDue(now)) this.halfOpen(now, 'shadow probe succeeded');
    return this.takeEvents();
  }

  /** Result of a probe sent because `nextCheckAt()` came due. Outside `open` it is an ordinary outcome. */
  recordProbe(success: boolean, reason = success ? 'probe succeeded' : 'probe failed'): BreakerTransition[] {
    this.settle();
    if (this.st !== 'open') return success ? this.recordSuccess() : this.recordFailure(reason);
    const now = this.clock.now();
    if (success) this.halfOpen(now, reason);
    else this.probeFailed(now, reason);
    return this.takeEvents();
  }

  /** Whether a request may be sent now; does not use up a half-open trial. */
  isRoutable(): boolean {
    this.settle();
    if (this.opts.metricsOnly) return true;
    return this.wouldRoute();
  }

  /** Like isRoutable, but a half-open admission uses up one trial. */
  admit(): boolean {
    this.settle();
    const allowed = this.wouldRoute();
    if (allowed && this.st === 'half-open') this.trialsUsed++;
    return this.opts.metricsOnly || allowed;
  }

  /** When the caller should act next: probe time when open, end of observation when half-open. */
  nextCheckAt(): number | null {
    this.settle();
    switch (this.st) {
      case 'closed':
        return null;
      case 'open':
        return this.nextProbeAt;
      case 'half-open':
        return this.observationEndsAt;
    }
  }

  isProbeDue(): boolean {
    this.settle();
    return this.st === 'open' && this.probeDue(this.clock.now());
  }

  /** Applies transitions that came due with time and returns every event not yet returned. */
  tick(): BreakerTransition[] {
    this.settle();
    return this.takeEvents();
  }

  /** Operator override (a CIRCUIT control message). A no-op when already in the target state. */
  apply(action: BreakerAction, reason = 'operator'): BreakerTransition[] {
    this.settle();
    const now = this.clock.now();
    switch (action) {
      case 'OPEN':
        if (this.st !== 'open') this.open(now, this.opts.openDurationMs, reason);
        break;
      case 'HALF_OPEN':
        if (this.st !== 'half-open') this.halfOpen(now, reason);
        break;
      case 'CLOSE':
        if (this.st !== 'closed') this.close(now, reason);
        break;
    }
    return this.takeEvents();
  }

  snapshot(): BreakerSnapshot {
    this.settle();
    return {
      state: this.st,
      failuresInWindow: this.failures.length,
      failedProbes: this.failedProbes,
      openedAt: this.openedAt,
      nextCheckAt: this.nextCheckAt(),
      trialsLeft: this.st === 'half-open' ? Math.max(0, this.opts.halfOpenMaxTrials - this.trialsUsed) : null,
      metricsOnly: this.opts.metricsOnly,
    };
  }

  /** Wait before the next probe after the k-th consecutive failed probe: base x factor^(k-1), capped. */
  private backoff(): number {
    const k = Math.max(1, this.failedProbes);
    return Math.min(this.opts.reprobeBaseMs * this.opts.reprobeFactor ** (k - 1), this.opts.reprobeMaxMs);
  }

  private wouldRoute(): boolean {
    switch (this.st) {
      case 'closed':
        return true;
      case 'open':
        return false;
      case 'half-open':
        return this.trialsUsed < this.opts.halfOpenMaxTrials;
    }
  }

  private probeDue(now: number): boolean {
    return this.nextProbeAt !== null && now >= this.nextProbeAt;
  }

  private settle(): void {
    const now = this.clock.now();
    if (this.st === 'closed') this.prune(now);
    if (this.st === 'half-open' && this.observationEndsAt !== null && now >= this.observationEndsAt) {
      this.close(this.observationEndsAt, `no failure during the ${this.opts.halfOpenObservationMs} ms observation`);
    }
  }

  private prune(now: number): void {
    const from = now - this.opts.failureWindowMs;
    while (this.failures.length > 0 && this.failures[0]! <= from) this.failures.shift();
  }

  private open(at: number, waitMs: number, reason: string): void {
    const from = this.st;
    this.st = 'open';
    this.openedAt = at;
    this.nextProbeAt = at + waitMs;
    this.observationEndsAt = null;
    this.trialsUsed = 0;
    this.failures = [];
    this.emit('opened', from, at, reason);
  }

  private probeFailed(at: number, reason: string): void {
    this.failedProbes++;
    this.nextProbeAt = at + this.backoff();
    this.emit('extended', 'open', at, reason);
  }

  private halfOpen(at: number, reason: string): void {
    const from = this.st;
    this.st = 'half-open';
    this.nextProbeAt = null;
    this.observationEndsAt = at + this.opts.halfOpenObservationMs;
    this.trialsUsed = 0;
    this.failures = [];
    this.emit('half-opened', from, at, reason);
  }

  private close(at: number, reason: string): void {
    const from = this.st;
    this.st = 'closed';
    this.openedAt = null;
    this.nextProbeAt = null;
    this.observationEndsAt = null;
    this.failedProbes = 0;
    this.trialsUsed = 0;
    this.failures = [];
    this.emit('closed', from, at, reason);
  }

  private emit(change: BreakerChange, from: BreakerState, at: number, reason: string): void {
    const shadow = this.opts.metricsOnly;
    const shown = shadow ? shadowOf(change) : change;
    this.pending.push({
      name: breakerEventName(shown),
      kind: shown,
      from,
      to: this.st,
      reason,
      at,
      nextCheckAt: this.st === 'open' ? this.nextProbeAt : this.observationEndsAt,
      shadow,
    });
  }

  private takeEvents(): BreakerTransition[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

