import type { Context } from 'hono';
import { EdgeError } from './errors.js';

/** The one shape every error leaves the Worker in: RFC 9457 problem details plus a stable code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The one place errors become responses. Anything that is not an EdgeError is a bug: no detail leaks. */
export function problemResponse(error: unknown): Response {
  const edge = error instanceof EdgeError ? error : new EdgeError('INTERNAL', 'internal error', { cause: error });
  const problem: Problem = {
    type: `urn:mesh30k:problem:${edge.code.toLowerCase().replaceAll('_', '-')}`,
    title: edge.code,
    status: edge.status,
    code: edge.code,
    detail: edge.message,
  };
  return new Response(JSON.stringify(problem), {
    status: edge.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' },
  });
}

/** Hono's onError hook. */
export const onError = (error: Error, _c: Context): Response => problemResponse(error);

/** Hono's notFound hook. */
export const onNotFound = (c: Context): Response =>
  problemResponse(new EdgeError('NOT_FOUND', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
