/**
 * The label values /metrics knows before they happen, each written as 0 from the start. The
 * records are typed against the unions the code counts with, so a new code that is not listed
 * here fails the type check instead of appearing only after its first occurrence.
 */
import type { MeshErrorCode } from '@mesh30k/shared';
import type { AuthFailureReason } from '../api/auth/authenticate.js';
import type { RefusalCode } from '../lib/events.js';
import type { LimitName } from '../lib/limit-counters.js';

const WIRE_CODES: Record<MeshErrorCode, true> = {
  OVERSIZED: true, UNSIGNED: true, UNKNOWN_SIGNER: true, BAD_SIGNATURE: true, NOT_UTF8: true, MALFORMED_JSON: true, UNKNOWN_KIND: true,
  WRONG_VERSION: true, INVALID_FIELDS: true, SIGNER_MISMATCH: true, REPLAYED: true, EXPIRED: true, FROM_THE_FUTURE: true, BAD_KEY: true,
  NOT_ENROLLED: true, ENROLLMENT_EXPIRED: true, ENROLLMENT_REVOKED: true, BAD_ENROLLMENT_SIGNATURE: true, BAD_ROTATION: true, INVALID_ARGUMENT: true,
};

const HEARTBEAT_REFUSALS: Record<RefusalCode, true> = {
  ...WIRE_CODES, OVERLOADED: true, WRONG_CLUSTER: true, WRONG_ROLE: true, VERIFIER_FAILED: true, STALE_SEQUENCE: true, OLD_BOOT: true, STALE_BOOT: true, SESSION_UNKNOWN: true, BAD_TAG: true,
};

const AUTH_FAILURES: Record<AuthFailureReason | 'TOO_MANY_FAILURES' | 'FORBIDDEN', true> = {
  NO_OPERATORS: true, MISSING: true, MALFORMED: true, UNKNOWN_OPERATOR: true, BAD_SIGNATURE: true, CLOCK_SKEW: true, REPLAYED_NONCE: true,
  TOKEN_EXPIRED: true, TOO_MANY_FAILURES: true, FORBIDDEN: true,
};

const LIMITS: Record<LimitName, true> = {
  payload_bytes: true, payload_depth: true, payload_keys: true, coordinate_frame: true, conflict_rate: true, conflict_retention: true,
  auth_failure_rate: true, heartbeat_refusal_rate: true, heartbeat_shed: true,
};

export const LABEL_VALUES = {
  heartbeatRefusals: Object.keys(HEARTBEAT_REFUSALS),
  /** A SENSOR_EVENT is refused by the wire check or when it cannot be stored. */
  sensorRefusals: [...Object.keys(WIRE_CODES), 'STORE_FAILED'],
  authFailures: Object.keys(AUTH_FAILURES),
  limits: Object.keys(LIMITS),
  /** An operation is decided SUCCESS, PARTIAL or FAILED_OVER, or refused. */
  operationOutcomes: ['success', 'partial', 'failed_over', 'refused'],
  /** What the API answers in the ordinary course (docs/api.md); others appear when they happen. */
  apiStatuses: [200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 429, 500, 503],
  hardwareConditions: ['under_voltage', 'throttled', 'hot'],
} as const;
