/**
 * Outermost middleware: gives each request an id (the client's X-Request-Id when it is sane),
 * echoes it on every response, counts responses by status, times them, and logs failures with
 * the caller.
 */
import { REQUEST_DURATION_BUCKETS_S, acceptableRequestId } from '@mesh30k/shared';
import type { MiddlewareHandler } from 'hono';
import { randomBytes } from 'node:crypto';
import { Histogram } from 'prom-client';
import type { Logger } from '../lib/logger.js';
import './context.js';

export class ApiCounters {
  readonly byStatus = new Map<number, number>();
  readonly authFailures = new Map<string, number>();
  /** Registered by /metrics (api/metrics.ts); observed here, whatever the answer. */
  readonly duration = new Histogram({ name: 'mesh_lead_api_request_duration_seconds', help: 'Time from a request reaching the API to its answer, seconds.', buckets: [...REQUEST_DURATION_BUCKETS_S], registers: [] });

  countStatus(status: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  countAuthFailure(reason: string): void {
    this.authFailures.set(reason, (this.authFailures.get(reason) ?? 0) + 1);
  }
}

export function requestContext(logger: Logger, counters: ApiCounters): MiddlewareHandler {
  return async (c, next) => {
    const offered = c.req.header('x-request-id');
    const requestId = acceptableRequestId(offered) ? offered : `r-${randomBytes(8).toString('hex')}`;
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    counters.duration.observe((performance.now() - started) / 1000);
    c.res.headers.set('X-Request-Id', requestId);
    counters.countStatus(c.res.status);
    if (c.res.status >= 500) {
      logger.warn({ request_id: requestId, caller: c.get('caller')?.operatorId, method: c.req.method, path: c.req.path, status: c.res.status }, 'API request failed');
    } else {
      logger.debug({ request_id: requestId, caller: c.get('caller')?.operatorId, method: c.req.method, path: c.req.path, status: c.res.status }, 'API request');
    }
  };
}
