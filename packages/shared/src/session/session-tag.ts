import { fromBase64Url, toBase64Url } from '../signing/encoding.js';
import { tagsEqual, type HmacSha256, type SyncHmacSha256 } from './hmac.js';

/**
 * The tag of a session-keyed heartbeat or reply: HMAC-SHA256 under the direction's key.
 * - heartbeat: session id, 0x00, body. Its seq is inside the body, so the lead checks the tag
 *   before it parses anything.
 * - reply: session id, 0x01, the answered beat's seq (8 bytes, big-endian), body: an agent
 *   ties a reply to its own beat.
 * Directional keys (and the marker byte) keep a reply from passing as a beat or the reverse.
 */
const encoder = new TextEncoder();
export const TAG_BYTES = 32;

/** `seq` absent: a heartbeat's input; present: a reply's. */
export function tagInput(sessionId: string, seq: number | undefined, body: Uint8Array): Uint8Array {
  const head = tagHead(sessionId, seq, body.byteLength);
  head.set(body, head.byteLength - body.byteLength);
  return head;
}

/** The tag input's bytes before the body (id, marker, seq), in an array with `room` bytes left after them. */
function tagHead(sessionId: string, seq: number | undefined, room: number): Uint8Array {
  // Session ids are ASCII (base64url): copied code by code, without an encoder call and its
  // array per tag (two tags a beat on a sim of thousands of agents).
  const id = isAscii(sessionId) ? undefined : encoder.encode(sessionId);
  const idLength = id === undefined ? sessionId.length : id.byteLength;
  const extra = seq === undefined ? 1 : 9;
  const out = new Uint8Array(idLength + extra + room);
  if (id !== undefined) out.set(id, 0);
  else for (let i = 0; i < idLength; i++) out[i] = sessionId.charCodeAt(i);
  if (seq !== undefined) {
    out[idLength] = 1;
    const view = new DataView(out.buffer, out.byteOffset + idLength + 1, 8);
    view.setUint32(0, Math.floor(seq / 2 ** 32));
    view.setUint32(4, seq >>> 0);
  }
  return out;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The tag of a beat or reply, hashing the body where it lies when the HMAC can take parts. */
function tagOf(hmac: HmacSha256, key: Uint8Array, sessionId: string, seq: number | undefined, body: Uint8Array): Uint8Array | Promise<Uint8Array> {
  // Only a synchronous HMAC takes parts (SyncHmacSha256.tagParts).
  const sync = hmac as SyncHmacSha256;
  return sync.tagParts === undefined ? hmac.tag(key, tagInput(sessionId, seq, body)) : sessionTagSync(sync, key, sessionId, seq, body);
}

/**
 * The tag, synchronously, as raw bytes: the lead's per-beat path. With `tagParts` the body is
 * hashed where it lies instead of being copied behind the id (two copies of about 1 KB a beat).
 */
export function sessionTagSync(hmac: SyncHmacSha256, key: Uint8Array, sessionId: string, seq: number | undefined, body: Uint8Array): Uint8Array {
  if (hmac.tagParts === undefined) return hmac.tag(key, tagInput(sessionId, seq, body));
  return hmac.tagParts(key, [tagHead(sessionId, seq, 0), body]);
}

/** The tag, base64url, as the Mesh-Tag header carries it. */
export async function sessionTag(hmac: HmacSha256, key: Uint8Array, sessionId: string, seq: number | undefined, body: Uint8Array): Promise<string> {
  return toBase64Url(await tagOf(hmac, key, sessionId, seq, body));
}

/** Whether `tagText` is the tag of these bytes; false (never a throw) for any malformed tag. */
export async function checkSessionTag(hmac: HmacSha256, key: Uint8Array, sessionId: string, seq: number | undefined, body: Uint8Array, tagText: string): Promise<boolean> {
  let given: Uint8Array;
  try {
    given = fromBase64Url(tagText);
  } catch {
    return false;
  }
  if (given.byteLength !== TAG_BYTES) return false;
  return tagsEqual(await tagOf(hmac, key, sessionId, seq, body), given);
}
