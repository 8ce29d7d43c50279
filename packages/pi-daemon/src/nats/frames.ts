import { SIGNATURE_HEADER, SIGNER_HEADER, SUBJECT_KINDS, encodeMessage, subjects, verifyAndParse } from '@mesh30k/shared';
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

/** The lead's answer to an ACK or CONFLICT request (docs/protocol.md). */
export type Confirmation = { ok: true } | { ok: false; code: string; message: string };

const decoder = new TextDecoder();

export function parseConfirmation(data: Uint8Array): Confirmation {
  try {
    const raw = JSON.parse(decoder.decode(data)) as unknown;
    if (typeof raw === 'object' && raw !== null && (raw as { ok?: unknown }).ok === true) return { ok: true };
    const { code, message } = (raw ?? {}) as { code?: unknown; message?: unknown };
    return { ok: false, code: typeof code === 'string' ? code : 'REFUSED', message: typeof message === 'string' ? message : 'refused' };
  } catch {
    return { ok: false, code: 'BAD_CONFIRMATION', message: 'the reply is not JSON' };
  }
}
