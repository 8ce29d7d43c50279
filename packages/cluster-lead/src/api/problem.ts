import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type ApiErrorCode =
  | 'NOT_FOUND'
  | 'NOT_READY'
  | 'BAD_REQUEST'
  | 'INTERNAL'
  /** The lead (its cluster, sector or the mesh) is frozen: no new operations. */
  | 'FROZEN'
  /** The engine refused the operation (degradation mode, target time...); `reason_code` says which. */
  | 'OPERATION_REFUSED'
  /** Too many operations in flight and queued; retry later. */
  | 'SATURATED'
  /** The engine is not running (NATS never connected, or the lead is stopping). */
  | 'UNAVAILABLE';

/** The one error type of the API; the one place below turns it into problem+json (RFC 9457). */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ApiErrorCode,
    readonly title: string,
    readonly detail: string,
    readonly extra: { headers?: Record<string, string>; fields?: Record<string, unknown> } = {},
  ) {
    super(detail);
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Every error response of the API is built here. */
export function problemResponse(c: Context, error: unknown): Response {
  const problem =
    error instanceof ApiError
      ? error
      : new ApiError(500, 'INTERNAL', 'Internal error', 'the lead failed to answer this request; see its log');
  const body = {
    type: `urn:mesh30k:problem:${problem.code.toLowerCase()}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
    instance: c.req.path,
    ...problem.extra.fields,
  };
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...problem.extra.headers },
  });
}
