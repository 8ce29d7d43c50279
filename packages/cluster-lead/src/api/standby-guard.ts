/**
 * On a standby lead (config `ha`, not holding the lease) a request that would change anything
 * is refused with 503: what it wrote would land in a store that the active lead's copy
 * overwrites, and work it started would run beside the active lead's (a delegation taken on a
 * standby failed at once and left a dead letter there). Reads are served from the followed state.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './problem.js';

const READS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
/** A standby takes the lease within about one lease TTL of the holder's death. */
const RETRY_AFTER_S = '1';

export function standbyGuard(standby: () => boolean): MiddlewareHandler {
  return async (c, next) => {
    if (READS.has(c.req.method) || !standby()) return next();
    throw new ApiError(503, 'UNAVAILABLE', 'Standby lead', 'this lead is a standby (another lead holds the lease): send changes to the active lead', { headers: { 'Retry-After': RETRY_AFTER_S } });
  };
}
