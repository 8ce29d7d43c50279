import type { RefusalCode } from '../lib/events.js';

export interface IngestSnapshot {
  accepted: number;
  accepted_in_session: number;
  reordered: number;
  refused: Partial<Record<RefusalCode, number>>;
  sessions_opened: number;
  handshakes_refused: Partial<Record<RefusalCode, number>>;
}

/** Heartbeats accepted, and refused by code: the lead keeps serving and keeps count. */
export class IngestCounters {
  accepted = 0;
  /** Of those, heartbeats authenticated by a session tag instead of a signature. */
  acceptedInSession = 0;
  /** Session beats inside the replay window but older than the newest: answered, not recorded. */
  reordered = 0;
  /** Heartbeat sessions opened (SESSION_ACCEPT sent). */
  sessionsOpened = 0;
  private readonly refused = new Map<RefusalCode, number>();
  private readonly handshakesRefused = new Map<RefusalCode, number>();

  refuseHandshake(code: RefusalCode): void {
    this.handshakesRefused.set(code, (this.handshakesRefused.get(code) ?? 0) + 1);
  }

  handshakesRefusedBy(code: RefusalCode): number {
    return this.handshakesRefused.get(code) ?? 0;
  }

  refuse(code: RefusalCode): void {
    this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
  }

  refusedBy(code: RefusalCode): number {
    return this.refused.get(code) ?? 0;
  }

  totalRefused(): number {
    let total = 0;
    for (const n of this.refused.values()) total += n;
    return total;
  }

  snapshot(): IngestSnapshot {
    return {
      accepted: this.accepted,
      accepted_in_session: this.acceptedInSession,
      reordered: this.reordered,
      refused: Object.fromEntries(this.refused),
      sessions_opened: this.sessionsOpened,
      handshakes_refused: Object.fromEntries(this.handshakesRefused),
    };
  }
}
