import { CONFLICT, PROTOCOL_VERSION, READY, TRANSIT, newMessageId, type Ack, type ConflictDetail, type Coordinate } from '@mesh30k/shared';
import { toMesh } from '../clock/mesh-time.js';

/** How long the lead may act on an ACK; the lead's replay window bounds it anyway. */
export const ACK_TTL_MS = 30_000;

export type AckOutcome =
  | { state: 'ready'; result: Record<string, unknown> }
  | { state: 'conflict'; detail: ConflictDetail }
  | { state: 'refused'; code: string; message: string };

export interface AckInput {
  /** What the ACK names of the COORDINATE (all an unrunnable one's head offers). */
  coordinate: Pick<Coordinate, 'message_id' | 'operation_id' | 'release_mode'>;
  agentId: string;
  outcome: AckOutcome;
  /** Worker clock. */
  receivedAtLocal: number;
  readyAtLocal: number;
  processingMs: number;
  /** mesh - Worker, used for ready_at_mesh and created_at. */
  offsetMs: number;
  /** Worker clock when the ACK is built. */
  nowLocal: number;
}

/** The signed answer to a COORDINATE: when this agent was ready, on its clock and in mesh time. */
export function buildAck(input: AckInput): Ack {
  const { coordinate, outcome } = input;
  const createdAt = toMesh(input.nowLocal, input.offsetMs);
  return {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(createdAt),
    sender_id: input.agentId,
    created_at: createdAt,
    ttl_ms: ACK_TTL_MS,
    causation_id: coordinate.message_id,
    kind: 'ACK',
    operation_id: coordinate.operation_id,
    coordinate_id: coordinate.message_id,
    agent_id: input.agentId,
    trinary_state: outcome.state === 'ready' ? READY : outcome.state === 'conflict' ? CONFLICT : TRANSIT,
    release_mode: coordinate.release_mode,
    received_at_local: input.receivedAtLocal,
    ready_at_local: input.readyAtLocal,
    ready_at_mesh: toMesh(input.readyAtLocal, input.offsetMs),
    processing_ms: Math.max(0, input.processingMs),
    late: false,
    ...(outcome.state === 'ready' ? { result: outcome.result } : {}),
    ...(outcome.state === 'conflict' ? { conflict: outcome.detail } : {}),
    ...(outcome.state === 'refused' ? { refusal: { code: outcome.code, message: outcome.message } } : {}),
  };
}
