/**
 * What the cascade adds to the wire, inside fields the shared protocol leaves open, so no new
 * message kind is needed:
 * - a cascade COORDINATE (parent -> child lead) carries a CascadeEnvelope as its payload: the
 *   strategy, the thresholds, the release mode for the agents below and the operation's own
 *   payload; the child hands the inner payload to its agents;
 * - the child's ACK carries a ChildReport as its `result`: its whole subtree's counts and the
 *   arrival-error sketch, never per-agent lists, so a report stays small at any fan-out.
 */
import { SIGNATURE_HEADER, SIGNER_HEADER, Capabilities, DurationMs, EpochMs, Id, OffsetMs, RequestedReleaseMode, verifyAndParse } from '@mesh30k/shared';
import type { Ed25519, IncomingFrame, KeyResolver, Reply, SignedFrame } from '@mesh30k/shared';
import { headers } from 'nats';
import type { Msg, MsgHdrs } from 'nats';
import { z } from 'zod';
import { ArrivalSketch } from './distribution.js';

const Rate = z.number().min(0).max(1);

export const CascadeEnvelope = z.object({
  cascade: z.object({
    cascade_id: Id,
    strategy: z.enum(['wave', 'parallel', 'priority_first']),
    lead_confirm_rate: Rate,
    agent_ready_rate: Rate,
    children_first: z.boolean(),
    /** Release mode for the agents below (the lead-to-lead COORDINATE itself says `hold`). */
    agent_release_mode: RequestedReleaseMode,
    /** How long after T + window the child's own scatter may gather. */
    gather_ms: DurationMs,
    /** Levels below the root (1 for the root's children). */
    depth: z.number().int().min(1).max(16),
    /** Capabilities every agent must hold (the COORDINATE's requires_capabilities applies to the child lead). */
    agent_capabilities: Capabilities,
  }),
  payload: z.unknown(),
});
export type CascadeEnvelope = z.infer<typeof CascadeEnvelope>;

/** Agent counts of a subtree, added up over the leads in it (the scatter result's counts). */
export const SubtreeCounts = z.object({
  selected: z.number().int().min(0),
  sent: z.number().int().min(0),
  skipped: z.number().int().min(0),
  ready: z.number().int().min(0),
  transit: z.number().int().min(0),
  conflicts: z.number().int().min(0),
  refused: z.number().int().min(0),
  stragglers: z.number().int().min(0),
});
export type SubtreeCounts = z.infer<typeof SubtreeCounts>;

export const ZERO_COUNTS: SubtreeCounts = Object.freeze({ selected: 0, sent: 0, skipped: 0, ready: 0, transit: 0, conflicts: 0, refused: 0, stragglers: 0 });

export function addCounts(a: SubtreeCounts, b: SubtreeCounts): SubtreeCounts {
  return {
    selected: a.selected + b.selected,
    sent: a.sent + b.sent,
    skipped: a.skipped + b.skipped,
    ready: a.ready + b.ready,
    transit: a.transit + b.transit,
    conflicts: a.conflicts + b.conflicts,
    refused: a.refused + b.refused,
    stragglers: a.stragglers + b.stragglers,
  };
}

/** EMPTY: nobody in the subtree matched; REFUSED: the lead could not run it at all. */
export const PhaseStatus = z.enum(['SUCCESS', 'PARTIAL', 'FAILED_AT_SECTOR', 'REFUSED', 'EMPTY']);
export type PhaseStatus = z.infer<typeof PhaseStatus>;

export const MAX_REPORTED_CHILDREN = 256;

export const ChildReport = z.object({
  lead_id: Id,
  status: PhaseStatus,
  /** T on the child's clock, as it converted the parent's T. */
  target_time_local: EpochMs,
  /** The child's estimate of parent minus child clock at T, and the bound on its error. */
  offset_to_parent_ms: OffsetMs,
  offset_error_bound_ms: z.number().min(0).max(8.64e15).nullable(),
  /** The whole subtree below and including the child. */
  counts: SubtreeCounts,
  arrival: ArrivalSketch,
  leads: z.object({ sent: z.number().int().min(0), confirmed: z.number().int().min(0), reported: z.number().int().min(0) }),
  own: z
    .object({ status: z.string().max(32), counts: SubtreeCounts, refusal: z.object({ code: z.string().max(64), reason: z.string().max(512) }).nullable() })
    .nullable(),
  children: z
    .array(z.object({ lead_id: Id, state: z.string().max(32), status: z.string().max(32).nullable(), ready: z.number().int().min(0), sent: z.number().int().min(0) }))
    .max(MAX_REPORTED_CHILDREN),
  capabilities: Capabilities.optional(),
});
export type ChildReport = z.infer<typeof ChildReport>;

/** A cascade COORDINATE's or report's answer, once read from the peer's signed REPLY. */
export type CascadeReply =
  | { readonly ok: true; readonly admission?: string | undefined; readonly target_time_local?: number | undefined }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Code of an answer that is not the peer's signed REPLY to the request: never acted on. */
export const UNTRUSTED_REPLY = 'UNTRUSTED_REPLY';

export interface ReplyCheck {
  readonly ed25519: Ed25519;
  /** Keys of the peer asked (the child lead, or the parent). */
  readonly resolveKey: KeyResolver;
  readonly peerId: string;
  readonly selfId: string;
  /** message_id of the request the reply must name. */
  readonly requestId: string;
}

/**
 * Reads a peer lead's answer to a cascade request: only a REPLY the peer signed, addressed to
 * this lead and naming this request counts; anything else (unsigned, forged, another lead's,
 * a reply captured for another request) comes back as UNTRUSTED_REPLY, so it confirms nothing.
 */
export async function readCascadeReply(msg: Msg, check: ReplyCheck): Promise<CascadeReply> {
  const verified = await verifyAndParse(incomingFrame(msg), { ed25519: check.ed25519, resolveKey: check.resolveKey, accept: ['REPLY'] });
  if (!verified.ok) return { ok: false, code: UNTRUSTED_REPLY, message: `reply refused: ${verified.error.code}: ${verified.error.message}` };
  const reply = verified.value.message as Reply;
  if (verified.value.signerId !== check.peerId || reply.to !== check.selfId || reply.in_reply_to !== check.requestId) {
    return { ok: false, code: UNTRUSTED_REPLY, message: `reply is not ${check.peerId}'s answer to ${check.requestId}` };
  }
  if (!reply.ok) return { ok: false, code: reply.code ?? 'REFUSED', message: reply.message ?? 'refused' };
  return { ok: true, admission: reply.cascade?.admission, target_time_local: reply.cascade?.target_time_local };
}

export function frameHeaders(frame: SignedFrame): MsgHdrs {
  const h = headers();
  h.set(SIGNER_HEADER, frame.signerId);
  h.set(SIGNATURE_HEADER, frame.signature);
  return h;
}

export function incomingFrame(msg: Msg): IncomingFrame {
  return { body: msg.data, signerId: msg.headers?.get(SIGNER_HEADER), signature: msg.headers?.get(SIGNATURE_HEADER) };
}
