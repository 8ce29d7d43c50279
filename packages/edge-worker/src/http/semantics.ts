import { API_RESPONSE_HEADERS, REQUEST_ID_HEADER, acceptableRequestId, declaresBody, unsupportedBody } from '@mesh30k/shared';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env.js';
import { EdgeError } from './errors.js';

/** The caller's X-Request-Id when it is sane, else a fresh one (WebCrypto: runs in workerd). */
function requestIdOf(offered: string | undefined): string {
  if (acceptableRequestId(offered)) return offered;
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `r-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The Worker's RFC 9110 manners, the lead API's rules from @mesh30k/shared: a request id on
 * every answer, no-store and nosniff, HEAD with its Content-Length and no body.
 */
export const httpSemantics: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set('requestId', requestIdOf(c.req.header(REQUEST_ID_HEADER)));
  await next();
  for (const [name, value] of Object.entries(API_RESPONSE_HEADERS)) {
    if (!c.res.headers.has(name)) c.res.headers.set(name, value);
  }
  c.res.headers.set(REQUEST_ID_HEADER, c.get('requestId'));
  if (c.req.method !== 'HEAD' || c.res.body === null) return;
  const { status } = c.res;
  const headers = new Headers(c.res.headers);
  headers.set('content-length', String((await c.res.arrayBuffer()).byteLength));
  c.res = undefined;
  c.res = new Response(null, { status, headers });
};

/** Bodies are signed JSON frames: anything declared otherwise is refused before it is read. */
export const jsonBodiesOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const problem = unsupportedBody(c.req.header('content-type'), declaresBody(c.req.raw.headers, c.req.raw.body !== null));
  if (problem !== undefined) throw new EdgeError('UNSUPPORTED_MEDIA_TYPE', problem.detail);
  await next();
};
