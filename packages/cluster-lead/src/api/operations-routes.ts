/**
 * The scatter engine's operations as the API maps them: request bodies onto the engine's
 * OperationRequest, refusals onto problems. The job routes (jobs-routes.ts) use these.
 */
import { WIRE_LIMITS } from '@mesh30k/shared';
import { z } from 'zod';
import type { OperationRefusal, SubmitOutcome } from '../control/index.js';
import type { OperationView } from '../control/index.js';
import { ApiError } from './problem.js';
import { snakeKeys } from './json-case.js';

/** Seconds to wait before retrying a SATURATED submission. */
export const SATURATED_RETRY_AFTER_S = 2;

/** The request body, mapped one to one onto the engine's OperationRequest (which validates the values). */
export const OperationBody = z.strictObject({
  operation_id: z.string().optional(),
  verb: z.unknown(),
  payload: z.unknown().optional(),
  payload_weight: z.number().optional(),
  selector: z.unknown(),
  release_mode: z.string().optional(),
  window_ms: z.number().optional(),
  min_response_rate: z.number().optional(),
  max_conflict_rate: z.number().optional(),
  max_transit_rate: z.number().optional(),
  timeout_ms: z.number().optional(),
  priority: z.number().optional(),
  target_time: z.number().optional(),
  lead_horizon_ms: z.number().optional(),
  requires_capabilities: z.array(z.string()).optional(),
  automated: z.boolean().optional(),
  operator_override: z.boolean().optional(),
});

export const FIELD_OF: Readonly<Record<string, string>> = {
  operationId: 'operation_id',
  payloadWeight: 'payload_weight',
  targets: 'selector',
  releaseMode: 'release_mode',
  arrivalWindowMs: 'window_ms',
  minResponseRate: 'min_response_rate',
  maxConflictRate: 'max_conflict_rate',
  maxTransitRate: 'max_transit_rate',
  timeoutMs: 'timeout_ms',
  targetTime: 'target_time',
  leadHorizonMs: 'lead_horizon_ms',
  requiresCapabilities: 'requires_capabilities',
  operatorOverride: 'operator_override',
};

export function toEngineRequest(body: z.infer<typeof OperationBody>): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    operationId: body.operation_id,
    verb: body.verb,
    payload: body.payload ?? null,
    payloadWeight: body.payload_weight,
    targets: body.selector,
    releaseMode: body.release_mode,
    arrivalWindowMs: body.window_ms,
    minResponseRate: body.min_response_rate,
    maxConflictRate: body.max_conflict_rate,
    maxTransitRate: body.max_transit_rate,
    timeoutMs: body.timeout_ms,
    priority: body.priority,
    targetTime: body.target_time,
    leadHorizonMs: body.lead_horizon_ms,
    requiresCapabilities: body.requires_capabilities,
    automated: body.automated,
    operatorOverride: body.operator_override,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

export interface OperationsApi {
  submit(request: unknown): Promise<SubmitOutcome>;
  get(operationId: string): OperationView | undefined;
}

export function refusalError(refusal: OperationRefusal): ApiError {
  const fields = { reason_code: refusal.code, ...('path' in refusal && refusal.path !== undefined ? { field: refusal.path.split('.').map((p) => FIELD_OF[p] ?? p).join('.') } : {}) };
  switch (refusal.code) {
    case 'FROZEN':
      return new ApiError(409, 'FROZEN', 'Lead frozen', refusal.reason, { fields });
    case 'INVALID_OPERATION':
    case 'INVALID_TARGET_TIME': {
      const message = refusal.reason.replace(/^[\w.]+/, (p) => p.split('.').map((s) => FIELD_OF[s] ?? s).join('.'));
      const field = 'field' in fields ? fields.field : '';
      return new ApiError(400, 'BAD_REQUEST', 'Invalid operation', message, { fields: { ...fields, errors: [{ field, message }] } });
    }
    case 'PAYLOAD_TOO_LARGE': {
      const message = refusal.reason;
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', message, {
        fields: { ...fields, limit_bytes: WIRE_LIMITS.maxPayloadBytes, errors: [{ field: 'payload', message }] },
      });
    }
    case 'SATURATED':
      return new ApiError(503, 'SATURATED', 'Lead saturated', refusal.reason, { fields, headers: { 'Retry-After': String(SATURATED_RETRY_AFTER_S) } });
    case 'ENGINE_STOPPED':
      return new ApiError(503, 'UNAVAILABLE', 'Engine stopped', refusal.reason, { fields });
    case 'SCATTER_TOO_LARGE':
    case 'AUTOMATION_HALTED':
    case 'BACKGROUND_DISABLED':
    case 'CRITICAL_ONLY':
    case 'NON_URGENT_QUEUED':
    case 'OPERATOR_OVERRIDE_REQUIRED':
    case 'QUEUE_TIMEOUT':
      return new ApiError(409, 'OPERATION_REFUSED', 'Operation refused', refusal.reason, { fields });
  }
}

export function operationJson(view: OperationView): Record<string, unknown> {
  return {
    operation_id: view.operationId,
    state: view.state,
    submitted_at: view.submittedAt,
    refusal: view.refusal === null ? null : { code: view.refusal.code, reason: view.refusal.reason },
    result: snakeKeys(view.result),
  };
}
