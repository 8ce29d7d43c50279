/**
 * The one error type `shared` raises. Callers switch on `code`, never on the message text.
 * Codes are grouped by domain; each domain adds its codes to this union.
 */
export type MeshErrorCode =
  // wire: verify-and-parse refusals
  | 'OVERSIZED'
  | 'UNSIGNED'
  | 'UNKNOWN_SIGNER'
  | 'BAD_SIGNATURE'
  | 'NOT_UTF8'
  | 'MALFORMED_JSON'
  | 'UNKNOWN_KIND'
  | 'WRONG_VERSION'
  | 'INVALID_FIELDS'
  | 'SIGNER_MISMATCH'
  | 'REPLAYED'
  | 'EXPIRED'
  | 'FROM_THE_FUTURE'
  // keys and identity
  | 'BAD_KEY'
  | 'NOT_ENROLLED'
  | 'ENROLLMENT_EXPIRED'
  | 'ENROLLMENT_REVOKED'
  | 'BAD_ENROLLMENT_SIGNATURE'
  | 'BAD_ROTATION'
  // configuration of shared components
  | 'INVALID_ARGUMENT';

export class MeshError extends Error {
  override readonly name = 'MeshError';
  readonly code: MeshErrorCode;
  /** Dotted path of the offending field, when the problem is in a structured input. */
  readonly path: string | undefined;

  constructor(code: MeshErrorCode, message: string, options?: { path?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options?.path;
  }
}

/** Result type for calls that must never throw (anything fed by the network). */
export type Result<T, E = MeshError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
