/** Builds the COORDINATE messages of an operation (unsigned; the sender signs them when it sends). */
import { PROTOCOL_VERSION, READY, newMessageId } from '@mesh30k/shared';
import type { Compensation, Coordinate, ReleaseMode, Selector } from '@mesh30k/shared';
import type { ResolvedOperation } from './operation-request.js';
import type { PlannedAgent } from './record.js';

/** A COORDINATE stays actionable this long past T + window, for clock error and slow links. */
export const COORDINATE_TTL_SLACK_MS = 5_000;
/** Longest ttl the schema accepts (a day). */
const MAX_TTL_MS = 86_400_000;

export interface CoordinateContext {
  readonly op: ResolvedOperation;
  readonly leadId: string;
  readonly targetMs: number;
  readonly payloadHash: string;
}

export function buildCoordinate(
  ctx: CoordinateContext,
  nowMs: number,
  mode: ReleaseMode,
  selector: Selector,
  compensation?: Record<string, Compensation>,
): Coordinate {
  const { op } = ctx;
  const ttl = Math.min(MAX_TTL_MS, Math.max(0, ctx.targetMs + op.arrivalWindowMs - nowMs) + COORDINATE_TTL_SLACK_MS);
  return {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(nowMs),
    sender_id: ctx.leadId,
    created_at: nowMs,
    ttl_ms: Math.ceil(ttl),
    kind: 'COORDINATE',
    operation_id: op.operationId,
    verb: op.verb,
    payload: op.payload,
    payload_hash: ctx.payloadHash,
    payload_weight: op.payloadWeight,
    target_time: ctx.targetMs,
    release_mode: mode,
    arrival_window_ms: op.arrivalWindowMs,
    priority: op.priority,
    requires_capabilities: op.requiresCapabilities,
    selector,
    routing_strategy: 'scatter-gather',
    trinary_expectation: READY,
    ...(compensation === undefined ? {} : { compensation }),
  };
}

/** A lead- or none-mode COORDINATE for one agent; lead mode carries that agent's compensation. */
export function agentCoordinate(ctx: CoordinateContext, nowMs: number, agent: PlannedAgent): Coordinate {
  const selector: Selector = { agent_ids: [agent.agentId] };
  if (agent.mode !== 'lead') return buildCoordinate(ctx, nowMs, agent.mode, selector);
  const compensation: Compensation = {
    lead_time_ms: agent.leadTimeMs,
    expected_processing_ms: agent.expectedProcessingMs,
    confidence: agent.confidence,
  };
  return buildCoordinate(ctx, nowMs, 'lead', selector, { [agent.agentId]: compensation });
}
