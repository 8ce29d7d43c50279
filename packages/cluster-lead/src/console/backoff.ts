/** When to try a request again: exponential backoff with jitter, or what Retry-After asks. */

export const BACKOFF_BASE_MS = 100;
export const BACKOFF_CAP_MS = 10_000;
export const BACKOFF_JITTER = 0.25;
/** A Retry-After longer than this is cut short: an operator at a terminal will not wait minutes. */
export const RETRY_AFTER_CAP_MS = 10_000;

/** Delay before retry number `retry` (0 for the first retry), given a uniform draw in [0, 1). */
export function backoffDelayMs(retry: number, random: () => number): number {
  const base = Math.min(BACKOFF_BASE_MS * 2 ** retry, BACKOFF_CAP_MS);
  // ±25%, so many consoles retrying the same lead do not retry in step.
  return Math.round(base * (1 + (random() * 2 - 1) * BACKOFF_JITTER));
}

/** Retry-After as milliseconds (delta-seconds or an HTTP date), capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, RETRY_AFTER_CAP_MS);
}
