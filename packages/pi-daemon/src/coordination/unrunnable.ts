/**
 * A COORDINATE the inbox refused may still be authentic work from the lead that this agent
 * cannot run (over its frame limit, an unknown verb, a field failing the schema). Such a frame
 * is answered with a TRANSIT ACK naming why (shared TRANSIT_REFUSAL), so the lead records
 * "cannot run here" instead of a straggler. Only frames the lead signed get an answer.
 */
import { DEFAULT_MAX_MESSAGE_BYTES, SIGNER_HEADER, readUnrunnableCoordinate } from '@mesh30k/shared';
import type { Ed25519, KeyResolver, UnrunnableCoordinate, WireRefusal } from '@mesh30k/shared';
import type { BusMessage } from '../nats/bus.js';
import { incomingFrame } from '../nats/frames.js';

/** The broker's default max_payload: nothing larger reaches the agent, and nothing larger is read here. */
export const HARD_FRAME_BYTES = 1_048_576;

/** Inbox refusals that may hide an authentic COORDINATE (any other code: bytes not the lead's, or not JSON). */
const SALVAGEABLE: ReadonlySet<string> = new Set(['OVERSIZED', 'INVALID_FIELDS']);

export interface UnrunnableReader {
  readonly ed25519: Ed25519;
  readonly resolveKey: KeyResolver;
  readonly leadId: string;
  readonly maxBytes?: number;
}

/** One check per frame: in simulation thousands of virtual agents share a refused frame. */
const reads = new WeakMap<BusMessage, Promise<UnrunnableCoordinate | null>>();

export function readUnrunnable(message: BusMessage, refusal: WireRefusal, reader: UnrunnableReader): Promise<UnrunnableCoordinate | null> {
  // Cheap filters first: a flood of bad frames must not cost a signature check each.
  if (!SALVAGEABLE.has(refusal.code) || message.headers.get(SIGNER_HEADER) !== reader.leadId) return Promise.resolve(null);
  let read = reads.get(message);
  if (read === undefined) {
    read = readUnrunnableCoordinate(incomingFrame(message), {
      ed25519: reader.ed25519,
      resolveKey: reader.resolveKey,
      maxBytes: reader.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      hardMaxBytes: HARD_FRAME_BYTES,
    }).catch(() => null);
    reads.set(message, read);
  }
  return read;
}
