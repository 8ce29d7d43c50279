import { performance } from 'node:perf_hooks';

/**
 * One message on an emulated uplink, as its sender can follow it: the delay the link drew, and
 * the instant the link handed it to the real connection. The arrival tap records that instant,
 * so an ACK's stamp-to-wire delay splits into the sim's share (release to send, and the link's
 * own timer lateness) and what came after the sim (NATS client, server, observer).
 */
export class UplinkTicket {
  /** Monotonic ms the link's delay runs from (the agent's send, as on its own device); set by the sender. */
  sentAt = Number.NaN;
  /** Emulated delay the message gets (FIFO wait and loss included), ms; set by the sender once the link drew it. */
  delayMs = Number.NaN;
  /** Monotonic ms when the link handed the message over; NaN until then, or for good when dropped. */
  handedAt = Number.NaN;
  private settled = false;
  private listeners: ((handedAt: number) => void)[] = [];

  /**
   * Calls `listener` once with the hand-over instant (monotonic ms; NaN if the link dropped the
   * message): at once when that is past. It runs inside the link's delivery loop, so it must
   * only note the instant and defer any work.
   */
  whenHanded(listener: (handedAt: number) => void): void {
    if (this.settled) listener(this.handedAt);
    else this.listeners.push(listener);
  }

  /** The link hands the message over now. */
  handed(at = performance.now()): void {
    this.settle(at);
  }

  /** The link dropped the message (closed while it was in flight). */
  dropped(): void {
    this.settle(Number.NaN);
  }

  private settle(at: number): void {
    if (this.settled) return;
    this.settled = true;
    this.handedAt = at;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener(at);
  }
}
