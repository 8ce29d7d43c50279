import { SIGNATURE_HEADER, SIGNER_HEADER, SUBJECT_KINDS, encodeMessage, encodeMessageSync, signsSync, subjects, verifyAndParse } from '@mesh30k/shared';
import type {
  IncomingFrame,
  MeshMessage,
  MessageKind,
  Result,
  Signer,
  SubjectFamily,
  Verified,
  VerifyOptions,
  WireRefusal,
} from '@mesh30k/shared';
import type { Bus, BusMessage, OutgoingHeaders } from './bus.js';

/**
 * Typed helpers over the bus, built on the protocol's one table of subjects and the kinds each
 * may carry. Every outgoing frame is the signed JSON body with the signature and signer in
 * the Mesh-Signature and Mesh-Signer headers; every incoming one goes through verifyAndParse.
 */

/** Who signs: the sender's id (agent or lead id) and its key. */
export interface Identity {
  readonly id: string;
  readonly signer: Signer;
}

/** A subject of one family, with the id it is built from (lead id or agent id). */
export interface Route<F extends SubjectFamily = SubjectFamily> {
  family: F;
  id: string;
}

export interface EncodedFrame {
  data: Uint8Array;
  headers: OutgoingHeaders;
}

export function subjectOf(route: Route): string {
  return subjects[route.family](route.id);
}

/** Throws when a message kind may not travel on a family: that is a bug in the sender. */
export function checkKind(family: SubjectFamily, kind: MessageKind): void {
  if (!SUBJECT_KINDS[family].includes(kind)) {
    throw new TypeError(`${kind} may not be sent on ${family} subjects (allowed: ${SUBJECT_KINDS[family].join(', ')})`);
  }
}

export async function encodeFrame(message: MeshMessage, identity: Identity): Promise<EncodedFrame> {
  const frame = await encodeMessage(message, identity.signer, identity.id);
  return { data: frame.body, headers: { [SIGNATURE_HEADER]: frame.signature, [SIGNER_HEADER]: frame.signerId } };
}

/** encodeFrame without a promise, when the identity's signer signs synchronously; undefined when it cannot. */
export function encodeFrameNow(message: MeshMessage, identity: Identity): EncodedFrame | undefined {
  if (!signsSync(identity.signer)) return undefined;
  const frame = encodeMessageSync(message, identity.signer, identity.id);
  return { data: frame.body, headers: { [SIGNATURE_HEADER]: frame.signature, [SIGNER_HEADER]: frame.signerId } };
}

export async function publishSigned(bus: Bus, route: Route, message: MeshMessage, identity: Identity): Promise<void> {
  checkKind(route.family, message.kind);
  const frame = await encodeFrame(message, identity);
  bus.publish(subjectOf(route), frame.data, frame.headers);
}

export async function requestSigned(
  bus: Bus,
  route: Route,
  message: MeshMessage,
  identity: Identity,
  timeoutMs: number,
): Promise<BusMessage> {
  checkKind(route.family, message.kind);
  const frame = await encodeFrame(message, identity);
  return bus.request(subjectOf(route), frame.data, { timeoutMs, headers: frame.headers });
}

/** Answers a request with a signed message; false when there is nobody to answer. */
export async function respondSigned(request: BusMessage, family: SubjectFamily, message: MeshMessage, identity: Identity): Promise<boolean> {
  checkKind(family, message.kind);
  const frame = await encodeFrame(message, identity);
  return request.respond(frame.data, frame.headers);
}

export function incomingFrame(message: BusMessage): IncomingFrame {
  return {
    body: message.data,
    signerId: message.headers.get(SIGNER_HEADER),
    signature: message.headers.get(SIGNATURE_HEADER),
  };
}

/** Verifies and parses a frame that arrived on a family's subject, accepting only its kinds. */
export function verifyOn(
  family: SubjectFamily,
  message: BusMessage,
  options: Omit<VerifyOptions, 'accept'>,
): Promise<Result<Verified, WireRefusal>> {
  return verifyAndParse(incomingFrame(message), { ...options, accept: SUBJECT_KINDS[family] });
}

/** The lead's answer to an ACK or CONFLICT request (docs/protocol.md), once verified. */
export type Confirmation = { ok: true } | { ok: false; code: string; message: string; retryAfterMs?: number };

/**
 * Reads an unsigned answer ({"ok":false,"code","message"}) for the log only: the lead sends one
 * when it refused a request before it knew the sender, and it proves nothing, so no state may
 * change on it.
 */
export function parseUnsignedRefusal(data: Uint8Array): Confirmation {
  try {
    const raw = JSON.parse(new TextDecoder().decode(data)) as unknown;
    if (typeof raw === 'object' && raw !== null && (raw as { ok?: unknown }).ok === true) return { ok: true };
    const { code, message, retry_after_ms: retry } = (raw ?? {}) as { code?: unknown; message?: unknown; retry_after_ms?: unknown };
    const refusal = { ok: false as const, code: typeof code === 'string' ? code : 'REFUSED', message: typeof message === 'string' ? message : 'refused' };
    return typeof retry === 'number' && Number.isFinite(retry) && retry >= 0 ? { ...refusal, retryAfterMs: retry } : refusal;
  } catch {
    return { ok: false, code: 'BAD_CONFIRMATION', message: 'the reply is not JSON' };
  }
}

/** Code of a reply that is not a valid signed REPLY from the peer to this request: never acted on. */
export const UNTRUSTED_REPLY = 'UNTRUSTED_REPLY';

/** Who must have signed the answer, and how to check it. */
export interface ConfirmingPeer {
  readonly bus: Bus;
  readonly self: Identity;
  readonly ed25519: VerifyOptions['ed25519'];
  readonly resolveKey: VerifyOptions['resolveKey'];
  /** The only signer whose REPLY counts (the agent's lead). */
  readonly peerId: string;
  readonly timeoutMs: number;
}

/**
 * Sends a signed request and returns the peer's verdict only when the answer is a REPLY signed
 * by that peer, addressed to this sender and naming this request's message_id. Anything else
 * (unsigned, forged, another peer's, a reply to another request) comes back as UNTRUSTED_REPLY,
 * a temporary refusal: the sender keeps what it would have dropped. Bus failures throw.
 */
export async function requestConfirmed(peer: ConfirmingPeer, route: Route, message: MeshMessage): Promise<Confirmation> {
  checkKind(route.family, message.kind);
  return requestConfirmedFrame(peer, route, message, await encodeFrame(message, peer.self));
}

/**
 * requestConfirmed for a message already signed (encodeFrame): the request is handed to the
 * bus synchronously, before this returns, so a caller timing a release publishes at that instant.
 */
export async function requestConfirmedFrame(peer: ConfirmingPeer, route: Route, message: MeshMessage, frame: EncodedFrame): Promise<Confirmation> {
  const reply = await peer.bus.request(subjectOf(route), frame.data, { timeoutMs: peer.timeoutMs, headers: frame.headers });
  const verified = await verifyOn(route.family, reply, { ed25519: peer.ed25519, resolveKey: peer.resolveKey });
  if (!verified.ok) return { ok: false, code: UNTRUSTED_REPLY, message: `reply refused: ${verified.error.code}: ${verified.error.message}` };
  const answer = verified.value.message;
  if (answer.kind !== 'REPLY' || verified.value.signerId !== peer.peerId || answer.to !== peer.self.id || answer.in_reply_to !== message.message_id) {
    return { ok: false, code: UNTRUSTED_REPLY, message: `reply is not ${peer.peerId}'s answer to ${message.message_id}` };
  }
  if (answer.ok) return { ok: true };
  return { ok: false, code: answer.code ?? 'REFUSED', message: answer.message ?? 'refused' };
}
