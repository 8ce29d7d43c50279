/** One token bucket per caller: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimitOptions {
  readonly burst: number;
  readonly perSecond: number;
}

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterS: number };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly options: RateLimitOptions) {}

  take(caller: string, now: number): RateDecision {
    const { burst, perSecond } = this.options;
    const bucket = this.buckets.get(caller) ?? { tokens: burst, at: now };
    // A clock stepping back refills nothing and costs nothing.
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1_000) * perSecond);
    bucket.at = Math.max(bucket.at, now);
    this.buckets.set(caller, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
  }
}
