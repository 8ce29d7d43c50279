/**
 * Nonces of signed requests seen recently, per operator. A nonce only has to be remembered
 * until its request's timestamp falls out of the skew window: after that the timestamp check
 * refuses a replay on its own.
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 200_000) {}

  /** Records the nonce; false when it was already seen (a replay). */
  remember(operatorId: string, nonce: string, forgetAt: number, now: number): boolean {
    const key = `${operatorId}\u0000${nonce}`;
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.seen.size >= this.maxEntries) this.prune(now);
    this.seen.set(key, forgetAt);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Drops expired entries; if still full, the oldest inserted ones (bounded memory over a perfect record). */
  private prune(now: number): void {
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
    for (const key of this.seen.keys()) {
      if (this.seen.size < this.maxEntries) break;
      this.seen.delete(key);
    }
  }
}
