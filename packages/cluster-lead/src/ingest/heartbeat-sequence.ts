import { REFUSAL, type Heartbeat, type Result } from '@mesh30k/shared';

/** Boot ids a lead keeps per agent (newest first), in memory and in the registry snapshot. */
export const KEPT_BOOTS = 4;

/** What the lead last accepted from one agent. */
export interface SequenceState {
  readonly seq: number;
  /** Newest first; [0] is the boot of the last accepted heartbeat. */
  readonly boots: readonly string[];
}

export type SequenceRefusal = { code: typeof REFUSAL.STALE_SEQUENCE | typeof REFUSAL.OLD_BOOT | typeof REFUSAL.STALE_BOOT; message: string };

/** The freshness a new boot's heartbeat must show when it does not move the sequence forward. */
export interface BootFreshness {
  now: number;
  ttlMs: number;
  skewMs: number;
}

/**
 * Is this heartbeat newer than the last accepted one, whatever the clocks say?
 * - same boot: its seq must be higher;
 * - a boot the lead saw superseded: never (a replay of an older boot);
 * - a new boot: accepted when its seq moves past the last one (the agent persists its
 *   sequence across restarts), or, when the agent lost that state and counts again from low,
 *   only when the heartbeat's created_at is fresh (inside the replay TTL and skew). Once the
 *   agent has exchanged clocks that is mesh time; before, its own clock, which the refusal's
 *   reply lets it correct by the next beat.
 * Heartbeats without a boot id (agents that predate it) are not checked.
 */
export function checkSequence(last: SequenceState | undefined, heartbeat: Heartbeat, fresh: BootFreshness): Result<void, SequenceRefusal> {
  const boot = heartbeat.boot_id;
  if (boot === undefined || last === undefined || last.boots.length === 0) return { ok: true, value: undefined };
  if (boot === last.boots[0]) {
    if (heartbeat.seq > last.seq) return { ok: true, value: undefined };
    return refuse(REFUSAL.STALE_SEQUENCE, `seq ${heartbeat.seq} of boot ${boot} is not after the last accepted ${last.seq}`);
  }
  if (last.boots.includes(boot)) return refuse(REFUSAL.OLD_BOOT, `boot ${boot} was superseded by boot ${last.boots[0]}`);
  if (heartbeat.seq > last.seq) return { ok: true, value: undefined };
  const age = fresh.now - heartbeat.created_at;
  if (age <= fresh.ttlMs && age >= -fresh.skewMs) return { ok: true, value: undefined };
  return refuse(REFUSAL.STALE_BOOT, `new boot ${boot} restarts the sequence at ${heartbeat.seq} (last ${last.seq}) with created_at ${Math.round(age)} ms from now`);
}

/** The state after accepting `heartbeat`. */
export function advance(last: SequenceState | undefined, heartbeat: Heartbeat): SequenceState {
  const boot = heartbeat.boot_id;
  const boots = last?.boots ?? [];
  if (boot === undefined) return { seq: heartbeat.seq, boots };
  return { seq: heartbeat.seq, boots: boots[0] === boot ? boots : [boot, ...boots.filter((b) => b !== boot)].slice(0, KEPT_BOOTS) };
}

function refuse(code: SequenceRefusal['code'], message: string): Result<void, SequenceRefusal> {
  return { ok: false, error: { code, message } };
}
