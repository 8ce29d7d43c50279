import { PROBLEM_CONTENT_TYPE, PROBLEM_HEADERS, problemDetails } from '@mesh30k/shared';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import './context.js';

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
  | 'UNAVAILABLE'
  /** No, malformed, expired or unverifiable credentials; `reason` says which. */
  | 'UNAUTHENTICATED'
  /** The caller's role may not do this. */
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  /** The path exists, not with this method; the Allow header lists the methods it has. */
  | 'METHOD_NOT_ALLOWED'
  /** A request body that is not application/json. */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** An Idempotency-Key reused with a different request. */
  | 'IDEMPOTENCY_MISMATCH'
  /** The first request with this Idempotency-Key is still running. */
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'RATE_LIMITED'
  /** A signed enrollment that does not verify against the mesh roots (or is expired, revoked...). */
  | 'ENROLLMENT_REFUSED'
  /** A dead letter that cannot be delivered again (stale, or nothing can send its kind); `reason_code` says which. */
  | 'NOT_REPLAYABLE'
  /** The lead does not hold the mesh root key, so it cannot sign an enrollment itself. */
  | 'ROOT_KEY_ABSENT';

/** One invalid field of a request (a dotted body path, or a query parameter name). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

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

export { PROBLEM_CONTENT_TYPE };

/** A 400 naming every invalid field; `detail` leads with the first. */
export function invalidFields(title: string, errors: readonly FieldError[]): ApiError {
  const first = errors[0];
  const detail = first === undefined ? 'the request is invalid' : `${first.field || '(body)'}: ${first.message}`;
  return new ApiError(400, 'BAD_REQUEST', title, detail, { fields: { errors } });
}

/** zod issues as field errors (path joined with dots; `prefix` for query parameters). */
export function fieldErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldError[] {
  return issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message }));
}

/** Every error response of the API is built here. */
export function problemResponse(c: Context, error: unknown): Response {
  const problem =
    error instanceof ApiError
      ? error
      : new ApiError(500, 'INTERNAL', 'Internal error', 'the lead failed to answer this request; see its log');
  const body = problemDetails({
    status: problem.status,
    code: problem.code,
    title: problem.title,
    detail: problem.detail,
    instance: c.req.path,
    requestId: c.get('requestId'),
    ...(problem.extra.fields === undefined ? {} : { extensions: problem.extra.fields }),
  });
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { ...PROBLEM_HEADERS, ...problem.extra.headers },
  });
}
