/** GET /v1/breakers/history: the lead's last breaker transitions (src/breakers/breaker-history), for the dashboard's timeline. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { BreakerTransitionRecord } from '../breakers/index.js';
import { intParam, readQuery } from './query.js';
import type { BreakerTransitionJson } from './response-schemas.js';

export interface BreakerHistoryApi {
  list(afterSeq: number, limit: number): BreakerTransitionRecord[];
  readonly capacity: number;
  readonly dropped: number;
}

/** How many a page may ask for: the ring's default size (a bigger ring is read in pages with after=). */
export const BREAKER_HISTORY_PAGE_MAX = 256;

/** after: only transitions with a larger seq (the last one seen); limit: at most this many, the newest. */
export const BreakerHistoryQuery = z.strictObject({
  after: intParam(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: intParam(1, BREAKER_HISTORY_PAGE_MAX).default(BREAKER_HISTORY_PAGE_MAX),
});

export function breakerTransitionJson(r: BreakerTransitionRecord): BreakerTransitionJson {
  return { seq: r.seq, at: r.at, scope: r.scope, target_id: r.targetId, from: r.from, to: r.to, kind: r.kind, reason: r.reason, shadow: r.shadow };
}

export function breakerHistoryRoutes(history: BreakerHistoryApi, now: () => number): Hono {
  const app = new Hono();
  app.get('/history', (c) => {
    const query = readQuery(c, BreakerHistoryQuery);
    const transitions = history.list(query.after ?? 0, query.limit).map(breakerTransitionJson);
    return c.json({ transitions, capacity: history.capacity, dropped: history.dropped, now: now() });
  });
  return app;
}
