import { MeshError, type MeshErrorCode, type Result } from '../lib/errors.js';
import type { Ed25519, PublicKeyBytes, Signer, SyncSigner } from '../signing/types.js';
import { fromBase64Url, toBase64Url } from '../signing/encoding.js';
import { PROTOCOL_VERSION } from './enums.js';
import { isPlainHeartbeat } from './heartbeat-fast-check.js';
import { WIRE_LIMITS } from './limits.js';
import { MESSAGE_SCHEMAS, isMessageKind, type MeshMessage, type MessageKind, type MessageOf } from './messages.js';

/**
 * The wire codec. A frame is the exact bytes that travel plus, beside them, the signer id and
 * the signature over those bytes. Receivers verify the bytes first and only then parse them,
 * so nothing unauthenticated reaches JSON.parse or a schema, and nothing is re-serialised.
 */

/** The frame limit every receiver applies unless told otherwise (see limits.ts). */
export const DEFAULT_MAX_MESSAGE_BYTES = WIRE_LIMITS.maxFrameBytes;
const SIGNATURE_BYTES = 64;

export interface SignedFrame {
  body: Uint8Array;
  signerId: string;
  /** base64url, no padding. */
  signature: string;
}

/** What arrives: header values may be missing or garbage. */
export interface IncomingFrame {
  body: Uint8Array;
  signerId?: string | null | undefined;
  signature?: string | null | undefined;
}

/** Why a frame was refused: a stable code to count by, and a message that says what is wrong. */
export interface WireRefusal {
  code: MeshErrorCode;
  message: string;
  /** Dotted path of the offending field, for INVALID_FIELDS. */
  path?: string;
}

/**
 * Finds the public keys trusted for a signer id now (two while a key rotation overlaps,
 * preferred first), or says why none is. Synchronous: an in-memory lookup.
 */
export type KeyResolver = (signerId: string) => Result<PublicKeyBytes | readonly PublicKeyBytes[], WireRefusal>;

export interface ReplayCheck {
  check(messageId: string, createdAt: number): Result<void, { code: MeshErrorCode; message: string }>;
}

export interface VerifyOptions {
  ed25519: Ed25519;
  resolveKey: KeyResolver;
  /** Kinds this route accepts; others are refused as UNKNOWN_KIND. Default: all. */
  accept?: readonly MessageKind[];
  maxBytes?: number;
  /** When given, message ids and timestamps are checked after the schema. */
  replay?: ReplayCheck;
}

export interface Verified<M extends MeshMessage = MeshMessage> {
  message: M;
  signerId: string;
  /** The verified bytes, for stores that keep the original (conflict log, outbox). */
  body: Uint8Array;
}

/** For these kinds the id naming the actor must be the signer: an agent cannot speak for another. */
const ACTOR_FIELD: Partial<Record<MessageKind, 'agent_id' | 'lead_id'>> = {
  HEARTBEAT: 'agent_id',
  ACK: 'agent_id',
  PONG: 'agent_id',
  CONFLICT: 'agent_id',
  SENSOR_EVENT: 'agent_id',
  SUMMARY: 'lead_id',
  SESSION_HELLO: 'agent_id',
};

/** Hand-written checks that may say "valid as it is" before zod is asked (heartbeat-fast-check.ts). */
const FAST_CHECKS: Partial<Record<MessageKind, (raw: unknown) => boolean>> = { HEARTBEAT: isPlainHeartbeat };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const refuse = (code: MeshErrorCode, message: string, path?: string): { ok: false; error: WireRefusal } => ({
  ok: false,
  error: path === undefined ? { code, message } : { code, message, path },
});

/**
 * Validates, serialises and signs a message. Throws on an invalid message: producing one is
 * a bug in the sender, not bad input. A message whose bytes exceed the frame limit is never
 * signed (MeshError OVERSIZED): every receiver would refuse it.
 */
export async function encodeMessage<M extends MeshMessage>(message: M, signer: Signer, signerId: string): Promise<SignedFrame> {
  const body = checkedBody(message);
  const signature = await signer.sign(body);
  return { body, signerId, signature: toBase64Url(signature) };
}

/**
 * encodeMessage without a promise, for a signer that signs synchronously: the same checks,
 * the same bytes. For a message that must be signed in the instant it describes (a READY whose
 * release came later than the one signed ahead of it).
 */
export function encodeMessageSync<M extends MeshMessage>(message: M, signer: SyncSigner, signerId: string): SignedFrame {
  const body = checkedBody(message);
  return { body, signerId, signature: toBase64Url(signer.signSync(body)) };
}

/** The bytes of a valid message within the frame limit; throws otherwise (see encodeMessage). */
function checkedBody(message: MeshMessage): Uint8Array {
  const schema = MESSAGE_SCHEMAS[message.kind];
  const checked = schema.safeParse(message);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new TypeError(`refusing to send an invalid ${message.kind}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
  }
  const body = encoder.encode(JSON.stringify(message));
  if (body.byteLength > WIRE_LIMITS.maxFrameBytes) {
    throw new MeshError('OVERSIZED', `refusing to send a ${message.kind} of ${body.byteLength} bytes; the wire limit is ${WIRE_LIMITS.maxFrameBytes} (maxFrameBytes)`);
  }
  return body;
}

/**
 * Verifies and parses one incoming frame. Never throws: every problem comes back as a WireRefusal
 * with a code, so callers count refusals by code and keep serving.
 */
export async function verifyAndParse(frame: IncomingFrame, options: VerifyOptions): Promise<Result<Verified, WireRefusal>> {
  try {
    return await verifyAndParseUnsafe(frame, options);
  } catch (cause) {
    // Defence in depth: a bug below must not take a daemon down with a hostile message.
    return refuse('INVALID_FIELDS', `message could not be processed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

async function verifyAndParseUnsafe(frame: IncomingFrame, options: VerifyOptions): Promise<Result<Verified, WireRefusal>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const { body, signerId, signature } = frame;
  if (!(body instanceof Uint8Array)) return refuse('MALFORMED_JSON', 'message body is not bytes');
  if (body.byteLength > maxBytes) {
    return refuse('OVERSIZED', `message is ${body.byteLength} bytes; the limit is ${maxBytes}`);
  }
  if (!signerId || !signature) {
    return refuse('UNSIGNED', `message has no ${!signerId ? 'signer id' : 'signature'}`);
  }
  const signatureBytes = decodeSignature(signature);
  if (!signatureBytes) return refuse('BAD_SIGNATURE', `signature is not ${SIGNATURE_BYTES} bytes of base64url`);

  const keys = options.resolveKey(signerId);
  if (!keys.ok) return { ok: false, error: keys.error };
  if (!(await verifyWithAny(options.ed25519, keys.value, body, signatureBytes))) {
    return refuse('BAD_SIGNATURE', `signature does not match the bytes for signer "${signerId}"`);
  }

  const parsed = parseAuthenticated(body, signerId, options);
  if (!parsed.ok) return parsed;
  const { message } = parsed.value;
  if (options.replay) {
    const fresh = options.replay.check(message.message_id, message.created_at);
    if (!fresh.ok) return refuse(fresh.error.code, fresh.error.message, 'message_id');
  }
  return { ok: true, value: { message, signerId, body } };
}

/**
 * Parses bytes whose origin is already proven (a signature, or a session tag checked by the
 * caller) for `signerId`: UTF-8, JSON, kind, version, schema, and that the sender and actor
 * fields name the signer. Never throws.
 */
export function parseAuthenticated(body: Uint8Array, signerId: string, options: { accept?: readonly MessageKind[] } = {}): Result<Verified, WireRefusal> {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    return refuse('NOT_UTF8', 'message body is not valid UTF-8');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    return refuse('MALFORMED_JSON', `message body is not JSON: ${cause instanceof Error ? cause.message : 'parse error'}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return refuse('MALFORMED_JSON', 'message body must be a JSON object');
  }
  const { kind, v } = raw as { kind?: unknown; v?: unknown };
  if (!isMessageKind(kind)) return refuse('UNKNOWN_KIND', `unknown message kind ${JSON.stringify(kind) ?? 'undefined'}`, 'kind');
  if (options.accept && !options.accept.includes(kind)) {
    return refuse('UNKNOWN_KIND', `${kind} is not accepted here (expected ${options.accept.join(', ')})`, 'kind');
  }
  if (v !== PROTOCOL_VERSION) {
    return refuse('WRONG_VERSION', `protocol version ${JSON.stringify(v) ?? 'missing'} is not supported (this side speaks ${PROTOCOL_VERSION})`, 'v');
  }

  let message: MeshMessage;
  // A heartbeat zod would take as it is skips zod (most of the lead's beats); every other
  // message, and any heartbeat the fast check doubts, is zod's to accept or refuse.
  const fast = FAST_CHECKS[kind];
  if (fast !== undefined && fast(raw)) {
    message = raw as MeshMessage;
  } else {
    const parsed = MESSAGE_SCHEMAS[kind].safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue ? issue.path.map(String).join('.') : '';
      return refuse('INVALID_FIELDS', `${kind}.${path || '(root)'}: ${issue?.message ?? 'invalid'}`, path);
    }
    message = parsed.data;
  }

  if (message.sender_id !== signerId) {
    return refuse('SIGNER_MISMATCH', `sender_id "${message.sender_id}" was signed by "${signerId}"`, 'sender_id');
  }
  const actorField = ACTOR_FIELD[kind];
  if (actorField) {
    const actor = (message as Record<string, unknown>)[actorField];
    if (actor !== signerId) {
      return refuse('SIGNER_MISMATCH', `${actorField} "${String(actor)}" was signed by "${signerId}"`, actorField);
    }
  }
  return { ok: true, value: { message, signerId, body } };
}

async function verifyWithAny(
  ed25519: Ed25519,
  keys: PublicKeyBytes | readonly PublicKeyBytes[],
  body: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (keys instanceof Uint8Array) return ed25519.verify(keys, body, signature);
  for (const key of keys) {
    if (await ed25519.verify(key, body, signature)) return true;
  }
  return false;
}

function decodeSignature(signature: string): Uint8Array | undefined {
  try {
    const bytes = fromBase64Url(signature);
    return bytes.byteLength === SIGNATURE_BYTES ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** Narrows a verified message to one kind, for handlers bound to a single kind. */
export function isKind<K extends MessageKind>(message: MeshMessage, kind: K): message is MessageOf<K> {
  return message.kind === kind;
}
