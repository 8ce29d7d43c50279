import { MeshError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { HEALTH_EVENTS, type HealthChange, type HealthEvent, type HealthState } from './events.js';
import { resolveHealthOptions, type HealthOptions, type HealthOptionsInput, type HealthOutcome } from './options.js';

export interface HealthSnapshot {
  readonly state: HealthState;
  readonly score: number;
  readonly consecutiveRetries: number;
  readonly quarantinesInWindow: number;
  /** Quarantined: from when a probe may release the agent early. */
  readonly cooldownEndsAt: number | null;
  /** Quarantined: when it is released without a probe. */
  readonly autoRecoverAt: number | null;
  readonly probationEndsAt: number | null;
  readonly routable: boolean;
}

/**
 * Health of one agent, as a state machine:
 *
 *   healthy --score < quarantineBelow--> quarantined --cooldown + good probe, or timeout--> probation
 *   probation --score < probationQuarantineBelow--> quarantined;  probation --probationMs--> healthy
 *   the n-th quarantine inside the window goes to retired instead; retired is final.
 *
 * While quarantined the score climbs linearly from where it fell to `restoreScore`, reaching it
 * exactly at auto-recovery. A bad outcome during quarantine (a failed probe) lowers the score
 * and restarts cooldown and the recovery clock. No timers: `nextCheckAt()` says when to call
 * `tick()`; transitions noticed by queries are returned by the next mutating call.
 */
export class HealthScore {
  private readonly opts: HealthOptions;
  private st: HealthState = 'healthy';
  private base: number;
  private retries = 0;
  private quarantines: number[] = [];
  private recoveryFrom = 0;
  private cooldownEndsAt: number | null = null;
  private autoRecoverAt: number | null = null;
  private probationEndsAt: number | null = null;
  private pending: HealthEvent[] = [];

  /**
   * Options already resolved (resolveHealthOptions) are shared, not copied: a lead holding
   * thousands of scores resolves once. `startScore` (a restored score, in [0, 1]) overrides
   * the options' initialScore without a copy of them.
   */
  constructor(
    private readonly clock: Clock,
    options: HealthOptionsInput = {},
    startScore?: number,
  ) {
    this.opts = resolveHealthOptions(options);
    if (startScore !== undefined && !(startScore >= 0 && startScore <= 1)) {
      throw new MeshError('INVALID_ARGUMENT', `startScore must be in [0, 1], got ${startScore}`, { path: 'startScore' });
    }
    this.base = startScore ?? this.opts.initialScore;
  }

  get options(): HealthOptions {
    return this.opts;
  }

  state(): HealthState {
    this.settle();
    return this.st;
  }

  score(): number {
    this.settle();
    return this.scoreAt(this.clock.now());
  }

  /** Healthy and probation agents take traffic; quarantined and retired ones do not. */
  isRoutable(): boolean {
    const s = this.state();
    return s === 'healthy' || s === 'probation';
  }

  /** A quarantined agent past its cooldown may be probed; a good probe releases it. */
  acceptsProbe(): boolean {
    this.settle();
    return this.st === 'quarantined' && this.cooldownEndsAt !== null && this.clock.now() >= this.cooldownEndsAt;
  }

  /** Penalty of the next retry, given the retries already in a row. */
  nextRetryPenalty(): number {
    return Math.min((this.retries + 1) * this.opts.retryPenaltyPerAttempt, this.opts.retryPenaltyMax);
  }

  record(outcome: HealthOutcome, reason: string = outcome): HealthEvent[] {
    this.settle();
    const now = this.clock.now();
    const delta = this.deltaOf(outcome);
    switch (this.st) {
      case 'retired':
        break;
      case 'healthy':
      case 'probation': {
        const ceiling = this.st === 'probation' ? this.opts.probationScoreCeiling : 1;
        this.base = clamp(this.base + delta, 0, ceiling);
        const limit = this.st === 'probation' ? this.opts.probationQuarantineBelow : this.opts.quarantineBelow;
        if (this.base < limit) this.quarantineNow(now, `score ${this.base.toFixed(2)} below ${limit} after ${reason}`);
        break;
      }
      case 'quarantined':
        if (delta < 0) {
          this.base = clamp(this.scoreAt(now) + delta, 0, 1);
          this.startRecovery(now);
          this.emit('extended', 'quarantined', now, `${reason} during quarantine`);
        } else if (now >= (this.cooldownEndsAt ?? Infinity)) {
          this.release(now, `good probe (${reason}) after cooldown`);
        }
        break;
    }
    return this.takeEvents();
  }

  /** Operator action. Counts toward retirement like any other quarantine. */
  quarantine(reason = 'operator'): HealthEvent[] {
    this.settle();
    if (this.st === 'healthy' || this.st === 'probation') this.quarantineNow(this.clock.now(), reason);
    return this.takeEvents();
  }

  /** Operator action: release a quarantined agent into probation now, cooldown or not. */
  recover(reason = 'operator'): HealthEvent[] {
    this.settle();
    if (this.st === 'quarantined') this.release(this.clock.now(), reason);
    return this.takeEvents();
  }

  /** Operator action; final. */
  retire(reason = 'operator'): HealthEvent[] {
    this.settle();
    if (this.st !== 'retired') this.retireNow(this.clock.now(), reason);
    return this.takeEvents();
  }

  /** Applies timed transitions (auto-recovery, end of probation) and returns pending events. */
  tick(): HealthEvent[] {
    this.settle();
    return this.takeEvents();
  }

  nextCheckAt(): number | null {
    this.settle();
    switch (this.st) {
      case 'healthy':
      case 'retired':
        return null;
      case 'probation':
        return this.probationEndsAt;
      case 'quarantined':
        return this.clock.now() < (this.cooldownEndsAt ?? 0) ? this.cooldownEndsAt : this.autoRecoverAt;
    }
  }

  snapshot(): HealthSnapshot {
    this.settle();
    const now = this.clock.now();
    return {
      state: this.st,
      score: this.scoreAt(now),
      consecutiveRetries: this.retries,
      quarantinesInWindow: this.pruneQuarantines(now),
      cooldownEndsAt: this.cooldownEndsAt,
      autoRecoverAt: this.autoRecoverAt,
      probationEndsAt: this.probationEndsAt,
      routable: this.st === 'healthy' || this.st === 'probation',
    };
  }

  private deltaOf(outcome: HealthOutcome): number {
    switch (outcome) {
      case 'retry': {
        const penalty = this.nextRetryPenalty();
        this.retries++;
        return -penalty;
      }
      case 'success':
      case 'cache_hit':
        this.retries = 0;
        return this.opts.deltas[outcome];
      case 'error':
      case 'stall':
      case 'timeout':
      case 'cancelled':
        return this.opts.deltas[outcome];
    }
  }

  private scoreAt(now: number): number {
    if (this.st !== 'quarantined') return this.base;
    const span = this.opts.autoRecoverAfterMs;
    const progress = span === 0 ? 1 : clamp((now - this.recoveryFrom) / span, 0, 1);
    return this.base + (this.opts.restoreScore - this.base) * progress;
  }

  private settle(): void {
    const now = this.clock.now();
    if (this.st === 'quarantined' && this.autoRecoverAt !== null && now >= this.autoRecoverAt) {
      this.release(this.autoRecoverAt, `no good probe needed after ${this.opts.autoRecoverAfterMs} ms`);
    }
    // Not `else`: a zero-length probation ends at the same instant it starts.
    if (this.st === 'probation' && this.probationEndsAt !== null && now >= this.probationEndsAt) {
      const at = this.probationEndsAt;
      this.probationEndsAt = null;
      this.st = 'healthy';
      this.emit('recovered', 'probation', at, `probation of ${this.opts.probationMs} ms passed`);
    }
  }

  private quarantineNow(now: number, reason: string): void {
    this.quarantines.push(now);
    const n = this.pruneQuarantines(now);
    if (n >= this.opts.retireAfterQuarantines) {
      this.retireNow(now, `${n} quarantines within ${this.opts.retirementWindowMs} ms (last: ${reason})`);
      return;
    }
    const from = this.st;
    this.st = 'quarantined';
    this.probationEndsAt = null;
    this.startRecovery(now);
    this.emit('quarantined', from, now, reason);
  }

  private startRecovery(now: number): void {
    this.recoveryFrom = now;
    this.cooldownEndsAt = now + this.opts.cooldownMs;
    this.autoRecoverAt = now + this.opts.autoRecoverAfterMs;
  }

  private release(at: number, reason: string): void {
    const recovered = this.scoreAt(at);
    this.base = clamp(Math.max(recovered, this.opts.restoreScore), 0, this.opts.probationScoreCeiling);
    this.st = 'probation';
    this.cooldownEndsAt = null;
    this.autoRecoverAt = null;
    this.retries = 0;
    this.probationEndsAt = at + this.opts.probationMs;
    this.emit('released', 'quarantined', at, reason);
  }

  private retireNow(at: number, reason: string): void {
    const from = this.st;
    this.base = this.scoreAt(at);
    this.st = 'retired';
    this.cooldownEndsAt = null;
    this.autoRecoverAt = null;
    this.probationEndsAt = null;
    this.emit('retired', from, at, reason);
  }

  /** Drops quarantines older than the window; returns how many remain. */
  private pruneQuarantines(now: number): number {
    const from = now - this.opts.retirementWindowMs;
    this.quarantines = this.quarantines.filter((t) => t > from);
    return this.quarantines.length;
  }

  private emit(kind: HealthChange, from: HealthState, at: number, reason: string): void {
    this.pending.push({ name: HEALTH_EVENTS[kind], kind, from, to: this.st, reason, at, score: this.scoreAt(at) });
  }

  private takeEvents(): HealthEvent[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
