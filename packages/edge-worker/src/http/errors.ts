import type { MeshErrorCode, WireRefusal } from '@mesh30k/shared';

/**
 * Every way a request to the Worker can fail, as a stable code. Wire refusals keep the code
 * `verifyAndParse` gave them; the rest are the Worker's own. Callers and tests switch on the
 * code, never on the message.
 */
export type EdgeErrorCode =
  | MeshErrorCode
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BAD_CONTENT_LENGTH'
  | 'WRONG_TARGET'
  | 'NOT_SELECTED'
  | 'LEASE_FENCED'
  | 'MISCONFIGURED'
  | 'STATE_UNAVAILABLE'
  | 'INTERNAL';

/** HTTP status per code; the one table behind every error response. */
const STATUS: Record<EdgeErrorCode, number> = {
  OVERSIZED: 413,
  BAD_CONTENT_LENGTH: 400,
  UNSIGNED: 401,
  UNKNOWN_SIGNER: 401,
  BAD_SIGNATURE: 401,
  SIGNER_MISMATCH: 403,
  NOT_UTF8: 400,
  MALFORMED_JSON: 400,
  UNKNOWN_KIND: 400,
  WRONG_VERSION: 400,
  INVALID_FIELDS: 422,
  REPLAYED: 409,
  EXPIRED: 422,
  FROM_THE_FUTURE: 422,
  WRONG_TARGET: 422,
  NOT_SELECTED: 422,
  // Stamped with an older lease epoch than one already admitted: a lead that lost its lease.
  LEASE_FENCED: 409,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // Key and identity codes only arise from a bad configuration on this side.
  BAD_KEY: 500,
  NOT_ENROLLED: 403,
  ENROLLMENT_EXPIRED: 403,
  ENROLLMENT_REVOKED: 403,
  BAD_ENROLLMENT_SIGNATURE: 403,
  BAD_ROTATION: 403,
  INVALID_ARGUMENT: 500,
  MISCONFIGURED: 500,
  STATE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export class EdgeError extends Error {
  override readonly name = 'EdgeError';
  readonly code: EdgeErrorCode;
  readonly status: number;
  /** Headers the answer needs beside the problem (Allow on a 405). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: EdgeErrorCode, message: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = STATUS[code];
    this.headers = options?.headers ?? {};
  }
}

export function fromWireRefusal(refusal: WireRefusal): EdgeError {
  return new EdgeError(refusal.code, refusal.message);
}
