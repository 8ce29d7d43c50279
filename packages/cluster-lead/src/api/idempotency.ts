/**
 * Idempotency-Key on POSTs: the first 2xx answer to (caller, key) is stored; the same request
 * again gets that answer (Idempotent-Replayed: true), a different request under the same key
 * is a 422. Errors are not stored, so a retry after one runs the request again.
 */
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { IdempotencyStore } from './idempotency-store.js';
import { ApiError, invalidFields } from './problem.js';
import { requestTarget } from './auth/guard.js';
import './context.js';

const KEY = /^[\x21-\x7e]{1,128}$/;
/** Answer headers worth replaying; the rest (date, request id) belong to each answer. */
const KEPT_HEADERS = ['content-type', 'location'];

export function idempotency(store: IdempotencyStore, now: () => number): MiddlewareHandler {
  const inFlight = new Set<string>();
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!KEY.test(key)) throw invalidFields('Invalid Idempotency-Key', [{ field: 'Idempotency-Key', message: 'must be 1-128 printable ASCII characters without spaces' }]);
    const caller = c.get('caller').operatorId;
    const fingerprint = createHash('sha256')
      .update(`${c.req.method}\n${requestTarget(c.req.url)}\n`)
      .update(new Uint8Array(await c.req.arrayBuffer()))
      .digest('base64url');

    const stored = store.get(caller, key, now());
    if (stored !== undefined) {
      if (stored.fingerprint !== fingerprint) {
        throw new ApiError(422, 'IDEMPOTENCY_MISMATCH', 'Idempotency-Key reused', `Idempotency-Key "${key}" was used within 24 h for a different request; use a new key for a new request`);
      }
      return new Response(stored.body, { status: stored.status, headers: { ...stored.headers, 'Idempotent-Replayed': 'true' } });
    }
    const slot = `${caller}\u0000${key}`;
    if (inFlight.has(slot)) {
      throw new ApiError(409, 'IDEMPOTENCY_IN_PROGRESS', 'Request in progress', `a request with Idempotency-Key "${key}" is still being answered; retry shortly`, { headers: { 'Retry-After': '1' } });
    }
    inFlight.add(slot);
    try {
      await next();
      if (c.res.status >= 200 && c.res.status < 300) {
        const headers: Record<string, string> = {};
        for (const name of KEPT_HEADERS) {
          const value = c.res.headers.get(name);
          if (value !== null) headers[name] = value;
        }
        store.put(caller, key, { fingerprint, status: c.res.status, headers, body: await c.res.clone().text(), createdAt: now() });
      }
    } finally {
      inFlight.delete(slot);
    }
  };
}
