import { ReplayGuard, type Clock, type Heartbeat, type MeshErrorCode, type Result } from '@mesh30k/shared';
import { checkSequence, type SequenceRefusal, type SequenceState } from './heartbeat-sequence.js';

export interface HeartbeatReplayOptions {
  ttlMs: number;
  skewMs: number;
  maxEntries: number;
}

/** The last accepted (boot, seq) of each agent: the registry keeps it, in its snapshot too. */
export interface SequenceSource {
  sequenceOf(agentId: string): SequenceState | undefined;
}

/**
 * Replay protection for heartbeats (docs/protocol.md). A heartbeat whose agent has already
 * exchanged clocks is checked as every message is: id unique, created_at (the agent's
 * estimate of mesh time) inside the TTL and skew. An agent that has not (clock.samples = 0:
 * first beat after boot, a Pi without RTC) cannot stamp mesh time, so its heartbeat is
 * checked by id only, remembered under the lead's own receipt time. Either way its
 * (boot_id, seq) must then be newer than the last accepted one (heartbeat-sequence.ts), which
 * holds after the id is forgotten and across a lead restart.
 */
export class HeartbeatReplay {
  private readonly guard: ReplayGuard;

  constructor(
    private readonly deps: { clock: Clock; sequences?: SequenceSource },
    private readonly options: HeartbeatReplayOptions,
  ) {
    this.guard = new ReplayGuard({ clock: deps.clock, ttlMs: options.ttlMs, skewMs: options.skewMs, maxEntries: options.maxEntries });
  }

  check(heartbeat: Heartbeat): Result<void, { code: MeshErrorCode | SequenceRefusal['code']; message: string }> {
    const now = this.deps.clock.now();
    const stamp = heartbeat.clock.samples === 0 ? now : heartbeat.created_at;
    const unseen = this.guard.check(heartbeat.message_id, stamp);
    if (!unseen.ok || this.deps.sequences === undefined) return unseen;
    return checkSequence(this.deps.sequences.sequenceOf(heartbeat.agent_id), heartbeat, { now, ttlMs: this.options.ttlMs, skewMs: this.options.skewMs });
  }

  /**
   * A session-keyed heartbeat: its session's replay window stands in for the id cache (no id
   * is remembered), so only created_at (once the agent has exchanged clocks) and the
   * (boot_id, seq) order are checked.
   */
  checkTagged(heartbeat: Heartbeat): Result<void, { code: MeshErrorCode | SequenceRefusal['code']; message: string }> {
    const age = this.checkAge(heartbeat);
    if (!age.ok || this.deps.sequences === undefined) return age;
    return checkSequence(this.deps.sequences.sequenceOf(heartbeat.agent_id), heartbeat, { now: this.deps.clock.now(), ttlMs: this.options.ttlMs, skewMs: this.options.skewMs });
  }

  /** created_at inside the TTL and skew, for an agent that has exchanged clocks (as the id cache judges it). */
  checkAge(heartbeat: Heartbeat): Result<void, { code: MeshErrorCode; message: string }> {
    if (heartbeat.clock.samples === 0) return { ok: true, value: undefined };
    const age = this.deps.clock.now() - heartbeat.created_at;
    if (age > this.options.ttlMs) return { ok: false, error: { code: 'EXPIRED', message: `created_at is ${Math.round(age)} ms old; the limit is ${this.options.ttlMs} ms` } };
    if (age < -this.options.skewMs) return { ok: false, error: { code: 'FROM_THE_FUTURE', message: `created_at is ${Math.round(-age)} ms ahead; the skew allowed is ${this.options.skewMs} ms` } };
    return { ok: true, value: undefined };
  }

  /**
   * Would this heartbeat be fresh on the lead's clock before it stepped by `stepMs` (measured
   * across a restart)? Then its agent simply has not re-synchronised yet: it is alive. A frame
   * captured earlier and replayed is stale on either clock.
   */
  freshBeforeStep(heartbeat: Heartbeat, stepMs: number): boolean {
    if (stepMs === 0) return false;
    const age = this.deps.clock.now() - (heartbeat.created_at + stepMs);
    return age <= this.options.ttlMs && age >= -this.options.skewMs;
  }
}
