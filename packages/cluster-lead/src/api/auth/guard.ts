/**
 * The API's door for every route but /health: body size limit, authentication, role and rate
 * limit, in that order. 401 for who-are-you problems, 403 for not-allowed, 429 for too many.
 */
import type { Ed25519 } from '@mesh30k/shared';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from '../../lib/logger.js';
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
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 120, perSecond: 20 };
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
const READ_METHODS = new Set(['GET', 'HEAD']);

/** Path and query exactly as the client sent them (what a signature covers). */
export function requestTarget(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  return start < 0 ? '/' : url.slice(start);
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
  const authDeps = { operators: options.operators, ed25519: options.ed25519, nonces, now: options.now, ...(options.skewMs === undefined ? {} : { skewMs: options.skewMs }) };

  const authn: MiddlewareHandler = async (c, next) => {
    if (isPublicPath(c.req.path, options.publicPaths)) return next();
    const outcome = await authenticate(authDeps, {
      method: c.req.method,
      pathAndQuery: requestTarget(c.req.url),
      authorization: c.req.header('authorization'),
      body: async () => new Uint8Array(await c.req.arrayBuffer()),
    });
    if (!outcome.ok) {
      options.counters.countAuthFailure(outcome.reason);
      options.logger.warn({ request_id: c.get('requestId'), caller: outcome.operatorId, reason: outcome.reason, method: c.req.method, path: c.req.path }, 'api auth refused');
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
