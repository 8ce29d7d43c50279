/**
 * The API's door for every route but /health: body size limit, authentication, role and rate
 * limit, in that order. 401 for who-are-you problems, 403 for not-allowed, 429 for too many.
 * Failed authentication is rate limited too, per source address and per claimed operator id:
 * once either has failed too often, its requests get 429 with Retry-After before any signature
 * is checked. Refusal log lines are sampled (the first few per window, then a summary).
 */
import { parseApiAuthorization, type Ed25519 } from '@mesh30k/shared';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { LimitCounters } from '../../lib/limit-counters.js';
import type { Logger } from '../../lib/logger.js';
import { SampledLog } from '../../lib/sampled-log.js';
import { ApiError } from '../problem.js';
import type { ApiCounters } from '../request-context.js';
import { authenticate } from './authenticate.js';
import { NonceCache } from './nonce-cache.js';
import type { OperatorDirectory } from './operator-directory.js';
import { RateLimiter, type RateLimitOptions } from '../../lib/rate-limiter.js';
import '../context.js';

export interface ApiGuardOptions {
  readonly operators: OperatorDirectory;
  readonly ed25519: Ed25519;
  readonly now: () => number;
  readonly logger: Logger;
  readonly counters: ApiCounters;
  readonly rateLimit?: RateLimitOptions;
  readonly maxBodyBytes?: number;
  readonly skewMs?: number;
  /** Paths served without authentication (besides /health/*), e.g. /metrics when configured so. */
  readonly publicPaths?: readonly string[];
  /** Failed authentications allowed per source address and per claimed operator id (api.auth_failures). */
  readonly failureLimit?: RateLimitOptions;
  /** Refusal lines written in full per window (api.auth_log). */
  readonly failureLog?: { readonly first: number; readonly windowMs: number };
  readonly limits?: LimitCounters;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 120, perSecond: 20 };
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
export const DEFAULT_FAILURE_LIMIT: RateLimitOptions = { burst: 10, perSecond: 0.2 };
export const DEFAULT_FAILURE_LOG = { first: 10, windowMs: 60_000 } as const;
const READ_METHODS = new Set(['GET', 'HEAD']);

/** Path and query exactly as the client sent them (what a signature covers). */
export function requestTarget(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  return start < 0 ? '/' : url.slice(start);
}

/** The peer's address as the socket saw it (not X-Forwarded-For, which any client can write). */
export function sourceAddress(env: unknown): string {
  return (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/** The operator id a request claims, read cheaply from its Authorization header (not yet believed). */
function claimedOperator(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const parsed = parseApiAuthorization(authorization);
  return parsed.ok ? parsed.value.operatorId : undefined;
}

export function isPublicPath(path: string, publicPaths: readonly string[] = []): boolean {
  return path.startsWith('/health/') || publicPaths.includes(path);
}

export function apiGuard(options: ApiGuardOptions): MiddlewareHandler[] {
  const nonces = new NonceCache();
  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const maxSize = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const limit = bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Body too large', `request bodies are limited to ${maxSize} bytes (api.max_body_bytes)`);
    },
  });
  const failures = new RateLimiter(options.failureLimit ?? DEFAULT_FAILURE_LIMIT);
  const refusalLog = new SampledLog(options.logger, {
    ...(options.failureLog ?? DEFAULT_FAILURE_LOG),
    summaryEvent: 'api.auth-refused.summary',
    summaryMessage: 'api auth refusals in the last window',
  });
  const authDeps = { operators: options.operators, ed25519: options.ed25519, nonces, now: options.now, ...(options.skewMs === undefined ? {} : { skewMs: options.skewMs }) };

  const authn: MiddlewareHandler = async (c, next) => {
    if (isPublicPath(c.req.path, options.publicPaths)) return next();
    const now = options.now();
    const source = `addr:${sourceAddress(c.env)}`;
    const claimed = claimedOperator(c.req.header('authorization'));
    const keys = claimed === undefined ? [source] : [source, `op:${claimed}`];
    const blocked = keys.map((key) => failures.peek(key, now)).find((d) => !d.ok);
    if (blocked !== undefined && !blocked.ok) {
      options.counters.countAuthFailure('TOO_MANY_FAILURES');
      options.limits?.hit('auth_failure_rate');
      refusalLog.warn('TOO_MANY_FAILURES', { request_id: c.get('requestId'), caller: claimed, source, method: c.req.method, path: c.req.path }, 'api auth refused: too many failures');
      throw new ApiError(429, 'RATE_LIMITED', 'Too many failed authentications', `too many failed authentications from this address or for this operator (api.auth_failures); retry in ${blocked.retryAfterS} s`, {
        headers: { 'Retry-After': String(blocked.retryAfterS) },
        fields: { reason: 'TOO_MANY_FAILURES' },
      });
    }
    const outcome = await authenticate(authDeps, {
      method: c.req.method,
      pathAndQuery: requestTarget(c.req.url),
      authorization: c.req.header('authorization'),
      body: async () => new Uint8Array(await c.req.arrayBuffer()),
    });
    if (!outcome.ok) {
      options.counters.countAuthFailure(outcome.reason);
      for (const key of outcome.operatorId === undefined || claimed !== undefined ? keys : [...keys, `op:${outcome.operatorId}`]) failures.take(key, now);
      refusalLog.warn(outcome.reason, { request_id: c.get('requestId'), caller: outcome.operatorId, source, reason: outcome.reason, method: c.req.method, path: c.req.path }, 'api auth refused');
      throw new ApiError(401, 'UNAUTHENTICATED', 'Not authenticated', outcome.message, {
        headers: { 'WWW-Authenticate': 'Mesh-Ed25519, Bearer' },
        fields: { reason: outcome.reason },
      });
    }
    const caller = outcome.caller;
    c.set('caller', caller);
    if (!READ_METHODS.has(c.req.method) && caller.role !== 'operator') {
      options.counters.countAuthFailure('FORBIDDEN');
      options.logger.warn({ request_id: c.get('requestId'), caller: caller.operatorId, role: caller.role, method: c.req.method, path: c.req.path }, 'api write refused for role');
      throw new ApiError(403, 'FORBIDDEN', 'Not allowed', `operator "${caller.operatorId}" has role "${caller.role}", which may only read; ${c.req.method} ${c.req.path} needs role "operator"`);
    }
    const rate = limiter.take(caller.operatorId, options.now());
    if (!rate.ok) {
      throw new ApiError(429, 'RATE_LIMITED', 'Too many requests', `operator "${caller.operatorId}" is over its rate limit (api.rate_limit); retry in ${rate.retryAfterS} s`, {
        headers: { 'Retry-After': String(rate.retryAfterS) },
      });
    }
    return next();
  };
  return [limit, authn];
}
