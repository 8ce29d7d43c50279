/**
 * Outermost middleware: gives each request an id (the client's X-Request-Id when it is sane),
 * echoes it on every response, counts responses by status, times them, and logs failures with
 * the caller.
 */
import { REQUEST_DURATION_BUCKETS_S, acceptableRequestId } from '@mesh30k/shared';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { randomBytes } from 'node:crypto';
import { Histogram } from 'prom-client';
import type { Logger } from '../lib/logger.js';
import './context.js';

export class ApiCounters {
  readonly byStatus = new Map<number, number>();
  readonly authFailures = new Map<string, number>();
  /** Registered by /metrics (api/metrics.ts); observed here, whatever the answer. */
  readonly duration = new Histogram({
    name: 'mesh_lead_api_request_duration_seconds',
    help: 'Time from a request reaching the API to its answer, seconds, by method and matched route pattern.',
    labelNames: ['method', 'route'],
    buckets: [...REQUEST_DURATION_BUCKETS_S],
    registers: [],
  });

  /** Writes each route's series at 0, so a rate() has it before the first request. */
  zeroRoutes(routes: Iterable<{ readonly method: string; readonly route: string }>): void {
    for (const { method, route } of routes) this.duration.zero({ method: methodLabel(method), route });
  }

  countStatus(status: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  countAuthFailure(reason: string): void {
    this.authFailures.set(reason, (this.authFailures.get(reason) ?? 0) + 1);
  }
}

/** Methods a client may send are any token: labels take the usual ones, the rest as `other`. */
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const methodLabel = (method: string): string => (METHODS.has(method) ? method : 'other');

/**
 * The pattern of the route that answers (or would have, had auth let it): the first matched
 * route that is not middleware. The raw path would be one series per agent id.
 */
function routeLabel(c: Context): string {
  return matchedRoutes(c).find((route) => route.method !== MIDDLEWARE_METHOD)?.path ?? UNMATCHED_ROUTE;
}

/** The route label of requests no route matched (404s, and 405s that a catch-all answers). */
export const UNMATCHED_ROUTE = 'unmatched';

/** Hono's method of middleware (app.use) in its route list. */
export const MIDDLEWARE_METHOD = 'ALL';

export function requestContext(logger: Logger, counters: ApiCounters): MiddlewareHandler {
  return async (c, next) => {
    const offered = c.req.header('x-request-id');
    const requestId = acceptableRequestId(offered) ? offered : `r-${randomBytes(8).toString('hex')}`;
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    counters.duration.observe({ method: methodLabel(c.req.method), route: routeLabel(c) }, (performance.now() - started) / 1000);
    c.res.headers.set('X-Request-Id', requestId);
    counters.countStatus(c.res.status);
    if (c.res.status >= 500) {
      logger.warn({ request_id: requestId, caller: c.get('caller')?.operatorId, method: c.req.method, path: c.req.path, status: c.res.status }, 'API request failed');
    } else {
      logger.debug({ request_id: requestId, caller: c.get('caller')?.operatorId, method: c.req.method, path: c.req.path, status: c.res.status }, 'API request');
    }
  };
}
