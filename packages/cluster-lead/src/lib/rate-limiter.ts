/** One token bucket per key: `burst` at once, refilled at `perSecond`. */
export interface RateLimitOptions {
  readonly burst: number;
  readonly perSecond: number;
  /**
   * Keys remembered at most (default 10,000): keys may come from the network (a claimed signer
   * id, a source address), so the oldest are forgotten beyond this and start with a full bucket.
   */
  readonly maxKeys?: number;
}

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterS: number };

const DEFAULT_MAX_KEYS = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly options: RateLimitOptions) {}

  /** Takes one token for `key` (or `cost` tokens); refused when the bucket has too few. */
  take(key: string, now: number, cost = 1): RateDecision {
    const decision = this.peek(key, now, cost);
    if (decision.ok) this.buckets.get(key)!.tokens -= cost;
    return decision;
  }

  /** Whether `cost` tokens are there, without taking them. */
  peek(key: string, now: number, cost = 1): RateDecision {
    const { burst, perSecond } = this.options;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: burst, at: now };
      this.buckets.set(key, bucket);
      this.evict();
    }
    // A clock stepping back refills nothing and costs nothing.
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1_000) * perSecond);
    bucket.at = Math.max(bucket.at, now);
    if (bucket.tokens >= cost) return { ok: true };
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((cost - bucket.tokens) / perSecond)) };
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(): void {
    const max = this.options.maxKeys ?? DEFAULT_MAX_KEYS;
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= max) return;
      this.buckets.delete(key);
    }
  }
}
