import { PROBLEM_CONTENT_TYPE, PROBLEM_HEADERS, problemDetails } from '@mesh30k/shared';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env.js';
import { EdgeError } from './errors.js';

export { PROBLEM_CONTENT_TYPE };

/** The one place errors become responses. Anything that is not an EdgeError is a bug: no detail leaks. */
export function problemResponse(error: unknown, requestId?: string): Response {
  const edge = error instanceof EdgeError ? error : new EdgeError('INTERNAL', 'internal error', { cause: error });
  const problem = problemDetails({ status: edge.status, code: edge.code, title: edge.code, detail: edge.message, ...(requestId === undefined ? {} : { requestId }) });
  return new Response(JSON.stringify(problem), { status: edge.status, headers: { ...PROBLEM_HEADERS, ...edge.headers } });
}

/** Hono's onError hook. */
export const onError = (error: Error, c: Context<AppEnv>): Response => problemResponse(error, c.get('requestId'));

/** Hono's notFound hook. */
export const onNotFound = (c: Context<AppEnv>): Response =>
  problemResponse(new EdgeError('NOT_FOUND', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), c.get('requestId'));
