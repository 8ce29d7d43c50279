import { ReplayGuard, type Clock, type Heartbeat, type MeshErrorCode, type Result } from '@mesh30k/shared';

export interface HeartbeatReplayOptions {
  ttlMs: number;
  skewMs: number;
  maxEntries: number;
}

/**
 * Replay protection for heartbeats (docs/protocol.md). A heartbeat whose agent has already
 * exchanged clocks is checked as every message is: id unique, created_at (the agent's
 * estimate of mesh time) inside the TTL and skew. An agent that has not (clock.samples = 0:
 * first beat after boot, a Pi without RTC) cannot stamp mesh time, so its heartbeat is
 * checked by id only, remembered under the lead's own receipt time.
 */
export class HeartbeatReplay {
  private readonly guard: ReplayGuard;

  constructor(
    private readonly deps: { clock: Clock },
    private readonly options: HeartbeatReplayOptions,
  ) {
    this.guard = new ReplayGuard({ clock: deps.clock, ttlMs: options.ttlMs, skewMs: options.skewMs, maxEntries: options.maxEntries });
  }

  check(heartbeat: Heartbeat): Result<void, { code: MeshErrorCode; message: string }> {
    const stamp = heartbeat.clock.samples === 0 ? this.deps.clock.now() : heartbeat.created_at;
    return this.guard.check(heartbeat.message_id, stamp);
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
