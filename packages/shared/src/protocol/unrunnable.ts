import { z } from 'zod';
import type { Ed25519 } from '../signing/types.js';
import { fromBase64Url } from '../signing/encoding.js';
import { PROTOCOL_VERSION, Priority, ReleaseMode, Verb } from './enums.js';
import { Coordinate, Selector } from './messages.js';
import { EpochMs, DurationMs, Id, LeaseEpoch, MessageId } from './primitives.js';
import { TRANSIT_REFUSAL, type TransitRefusalCode } from './refusals.js';
import type { IncomingFrame, KeyResolver } from './wire.js';

/**
 * A COORDINATE the receiver refused (over its frame limit, or failing the schema) may still be
 * authentic: the lead sent work this agent cannot run. Rather than stay silent and be counted a
 * straggler, the agent answers a TRANSIT ACK naming why (TRANSIT_REFUSAL). To build that ACK
 * it needs only the COORDINATE's head: who it is for, which operation, which message.
 */
export const CoordinateHead = z.object({
  v: z.literal(PROTOCOL_VERSION),
  message_id: MessageId,
  sender_id: Id,
  created_at: EpochMs,
  ttl_ms: DurationMs,
  kind: z.literal('COORDINATE'),
  operation_id: Id,
  /** Any text: an unknown verb is one of the things being answered. */
  verb: z.string().max(64),
  selector: Selector,
  release_mode: ReleaseMode,
  priority: Priority,
  target_time: EpochMs,
  /** Fenced like a runnable COORDINATE: a lower epoch than seen is not answered at all. */
  lease_epoch: LeaseEpoch.optional(),
});
export type CoordinateHead = z.infer<typeof CoordinateHead>;

export interface UnrunnableCoordinate {
  readonly head: CoordinateHead;
  readonly signerId: string;
  readonly code: TransitRefusalCode;
  readonly message: string;
}

export interface UnrunnableOptions {
  readonly ed25519: Ed25519;
  readonly resolveKey: KeyResolver;
  /** The receiver's own frame limit (what it refused the frame for exceeding). */
  readonly maxBytes: number;
  /**
   * Largest frame read at all on this path (the broker's max_payload): the signature is
   * checked over the whole body, so this bounds the work a refused frame can cause.
   */
  readonly hardMaxBytes: number;
}

const decoder = new TextDecoder();
const SIGNATURE_BYTES = 64;

/**
 * Reads a refused frame as an authentic COORDINATE the receiver cannot run, or null when it is
 * not one (unsigned, forged, not a COORDINATE, no readable head, or beyond hardMaxBytes). The
 * signature is checked before anything is parsed, as verifyAndParse does.
 */
export async function readUnrunnableCoordinate(frame: IncomingFrame, o: UnrunnableOptions): Promise<UnrunnableCoordinate | null> {
  const { body, signerId, signature } = frame;
  if (!(body instanceof Uint8Array) || body.byteLength > o.hardMaxBytes || !signerId || !signature) return null;
  let signatureBytes: Uint8Array;
  try {
    signatureBytes = fromBase64Url(signature);
  } catch {
    return null;
  }
  if (signatureBytes.byteLength !== SIGNATURE_BYTES) return null;
  const keys = o.resolveKey(signerId);
  if (!keys.ok) return null;
  const candidates = keys.value instanceof Uint8Array ? [keys.value] : keys.value;
  let authentic = false;
  for (const key of candidates) if (!authentic) authentic = await o.ed25519.verify(key, body, signatureBytes);
  if (!authentic) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(body));
  } catch {
    return null;
  }
  const head = CoordinateHead.safeParse(raw);
  if (!head.success || head.data.sender_id !== signerId) return null;
  const base = { head: head.data, signerId };
  if (body.byteLength > o.maxBytes) {
    return { ...base, code: TRANSIT_REFUSAL.FRAME_REFUSED, message: `COORDINATE is ${body.byteLength} bytes; this agent's frame limit is ${o.maxBytes}` };
  }
  if (!Verb.safeParse(head.data.verb).success) {
    return { ...base, code: TRANSIT_REFUSAL.VERB_UNSUPPORTED, message: `verb "${head.data.verb}" is not one this agent runs` };
  }
  const full = Coordinate.safeParse(raw);
  if (full.success) return null; // nothing wrong with it: not this path's business
  const issue = full.error.issues[0];
  return { ...base, code: TRANSIT_REFUSAL.FRAME_REFUSED, message: `COORDINATE refused at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`.slice(0, 512) };
}
