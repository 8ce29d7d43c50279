/**
 * A sliding window over sequence numbers (RFC 4303's anti-replay window, 64 wide): a number
 * above the highest seen is taken and slides the window; one inside it is taken once (a beat
 * the broker reordered); one seen before, or below the window, is refused. State is one number
 * and one 64-bit mask (as two 32-bit halves: no BigInt on the hot path).
 */
export const REPLAY_WINDOW_SIZE = 64;

export type WindowVerdict = 'new' | 'reordered' | 'replayed' | 'too_old';

export class ReplayWindow {
  /** Highest sequence number taken; -1 before the first. */
  private top = -1;
  /** Bit i set: top - i was taken (bit 0 is top itself). lo holds bits 0-31, hi 32-63. */
  private lo = 0;
  private hi = 0;

  get highest(): number {
    return this.top;
  }

  /** What `take` would answer, without taking. */
  peek(seq: number): WindowVerdict {
    if (!Number.isSafeInteger(seq) || seq < 0) return 'too_old';
    if (seq > this.top) return 'new';
    const back = this.top - seq;
    if (back >= REPLAY_WINDOW_SIZE) return 'too_old';
    return this.bit(back) ? 'replayed' : 'reordered';
  }

  /** Takes `seq` when it is new or reordered; the verdict says which, or why not. */
  take(seq: number): WindowVerdict {
    const verdict = this.peek(seq);
    if (verdict === 'new') {
      this.shift(this.top < 0 ? REPLAY_WINDOW_SIZE : seq - this.top);
      this.top = seq;
      this.lo |= 1;
    } else if (verdict === 'reordered') {
      this.set(this.top - seq);
    }
    return verdict;
  }

  private bit(back: number): boolean {
    return back < 32 ? ((this.lo >>> back) & 1) === 1 : ((this.hi >>> (back - 32)) & 1) === 1;
  }

  private set(back: number): void {
    if (back < 32) this.lo |= 1 << back;
    else this.hi |= 1 << (back - 32);
  }

  /** Moves every bit `by` places towards older (a higher back). */
  private shift(by: number): void {
    if (by >= REPLAY_WINDOW_SIZE) {
      this.lo = 0;
      this.hi = 0;
    } else if (by >= 32) {
      this.hi = by === 32 ? this.lo : this.lo << (by - 32);
      this.lo = 0;
    } else if (by > 0) {
      this.hi = (this.hi << by) | (this.lo >>> (32 - by));
      this.lo = this.lo << by;
    }
  }
}
