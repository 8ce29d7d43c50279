/**
 * The retry_after_ms a session desk gives the HELLOs it sheds. A fixed wait either brings the
 * turned-away agents back together (to be shed again) or keeps them away while the desk idles:
 * after a failover, 1,000 agents sent away for 10 s x (0.5-1.5) came back long after the desk had
 * cleared its handshakes. Instead each agent sent away gets the next free slot at the rate the
 * desk has been opening sessions, behind those in progress and those already sent away, so they
 * come back about as fast as the desk takes them. Bounded by minMs and maxMs.
 */
export interface PacerOptions {
  /** The shortest wait given (an agent is never asked back at once). */
  readonly minMs: number;
  /** The longest wait given (heartbeat.handshake_retry_after_ms). */
  readonly maxMs: number;
  /** Sessions opened over this window make the rate. */
  readonly windowMs: number;
  /** The rate assumed before any session opened in the window, per second. */
  readonly assumedPerSecond: number;
}

export class HandshakePacer {
  /** Times sessions were opened, within the last windowMs (oldest first). */
  private readonly opened: number[] = [];
  /** When the last agent sent away is due back. */
  private lastSlot = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: PacerOptions) {}

  /** A session was opened at `now`. */
  noteOpened(now: number): void {
    this.opened.push(now);
    this.forget(now);
  }

  /** Sessions opened per ms lately, or the assumed rate before any. */
  ratePerMs(now: number): number {
    this.forget(now);
    const measured = this.opened.length / this.options.windowMs;
    return measured > 0 ? measured : this.options.assumedPerSecond / 1_000;
  }

  /** The wait to give one HELLO shed at `now`, with `inProgress` handshakes ahead of it, ms. */
  retryAfterMs(now: number, inProgress: number): number {
    const rate = this.ratePerMs(now);
    const slot = Math.max(this.lastSlot, now + inProgress / rate) + 1 / rate;
    const wait = Math.min(this.options.maxMs, Math.max(this.options.minMs, slot - now));
    this.lastSlot = now + wait;
    return Math.round(wait);
  }

  private forget(now: number): void {
    const from = now - this.options.windowMs;
    let drop = 0;
    while (drop < this.opened.length && this.opened[drop]! < from) drop++;
    if (drop > 0) this.opened.splice(0, drop);
  }
}
