/**
 * RFC 9110 behaviour of the whole API, kept out of the routes (shared rules in
 * @mesh30k/shared lib/http-semantics): no-store and nosniff on every answer, HEAD answered
 * like GET with its Content-Length and no body, JSON the only body read (else 415), and a
 * path served with other methods answered 405 with Allow rather than 404.
 */
import { API_RESPONSE_HEADERS, declaresBody, methodNotAllowed, routeMatches, unsupportedBody } from '@mesh30k/shared';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './problem.js';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Outermost: headers every answer carries, and HEAD's final shape. Hono answers HEAD by
 * running the GET route; this replaces that body with its length, so a client learns the
 * size without the bytes and every header (X-Request-Id included) survives.
 */
export function responseHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(API_RESPONSE_HEADERS)) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
    if (c.req.method !== 'HEAD') return;
    const { status } = c.res;
    const headers = new Headers(c.res.headers);
    if (c.res.body !== null) headers.set('content-length', String((await c.res.arrayBuffer()).byteLength));
    // Reset first so Hono does not merge the GET answer's headers back over these.
    c.res = undefined;
    c.res = new Response(null, { status, headers });
  };
}

/** A request body that is not JSON is refused before anything reads it. */
export function jsonBodiesOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (BODY_METHODS.has(c.req.method)) {
      const problem = unsupportedBody(c.req.header('content-type'), declaresBody(c.req.raw.headers), c.req.path);
      if (problem !== undefined) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', problem.title, problem.detail);
    }
    await next();
  };
}

/** The methods routes serve on `path` (middleware excluded); empty when no route matches. */
export function allowedMethods(routes: readonly { method: string; path: string }[], path: string): string[] {
  return routes.filter((route) => route.method !== 'ALL' && routeMatches(route.path, path)).map((route) => route.method);
}

/** 405 with Allow when other methods serve the path; undefined when nothing does (a 404). */
export function wrongMethod(routes: readonly { method: string; path: string }[], method: string, path: string): ApiError | undefined {
  const allowed = allowedMethods(routes, path);
  if (allowed.length === 0) return undefined;
  const { problem, headers } = methodNotAllowed(method, allowed, path);
  return new ApiError(405, 'METHOD_NOT_ALLOWED', problem.title, problem.detail, { headers });
}
