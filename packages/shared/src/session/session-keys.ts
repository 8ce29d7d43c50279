import { fromBase64Url, toArrayBufferView, toBase64Url, toHex } from '../signing/encoding.js';

/**
 * The key exchange of a heartbeat session (docs/adr/0004): an X25519 ephemeral key per side,
 * each sent inside a message its side's Ed25519 identity signs, and HKDF-SHA256 from the shared
 * secret to one key per direction. All on WebCrypto, so it runs in Node and in workerd alike.
 */
type Subtle = typeof globalThis.crypto.subtle;
type WebCryptoKey = Awaited<ReturnType<Subtle['importKey']>>;

export const SESSION_KEY_BYTES = 32;
export const SESSION_NONCE_BYTES = 16;
const INFO_LABEL = 'mesh30k hb v1';
const encoder = new TextEncoder();

/** One side's ephemeral X25519 key: the private half never leaves WebCrypto and is dropped after derivation. */
export interface Ephemeral {
  /** 32 raw bytes, base64url on the wire. */
  readonly publicKey: Uint8Array;
  readonly privateKey: WebCryptoKey;
}

/** The two directional keys of a session. */
export interface SessionKeys {
  readonly agentToLead: Uint8Array;
  readonly leadToAgent: Uint8Array;
}

/** What both sides bind into the keys: who, which session, and which handshake. */
export interface SessionBinding {
  readonly agentId: string;
  readonly leadId: string;
  readonly sessionId: string;
  /** The agent's then the lead's nonce, base64url as on the wire. */
  readonly agentNonce: string;
  readonly leadNonce: string;
  /** SHA-256 hex of the SESSION_HELLO's exact bytes. */
  readonly transcriptHash: string;
}

const subtleOf = (subtle?: Subtle): Subtle => subtle ?? globalThis.crypto.subtle;

export async function newEphemeral(subtle?: Subtle): Promise<Ephemeral> {
  const pair = (await subtleOf(subtle).generateKey({ name: 'X25519' }, true, ['deriveBits'])) as { publicKey: WebCryptoKey; privateKey: WebCryptoKey };
  const publicKey = new Uint8Array(await subtleOf(subtle).exportKey('raw', pair.publicKey));
  return { publicKey, privateKey: pair.privateKey };
}

/** A fresh handshake nonce, base64url. */
export function newNonce(): string {
  return toBase64Url(globalThis.crypto.getRandomValues(new Uint8Array(SESSION_NONCE_BYTES)));
}

/** SHA-256 hex of a SESSION_HELLO's bytes: the ACCEPT names the one HELLO it answers. */
export async function transcriptHash(helloBody: Uint8Array, subtle?: Subtle): Promise<string> {
  return toHex(new Uint8Array(await subtleOf(subtle).digest('SHA-256', toArrayBufferView(helloBody))));
}

/**
 * X25519 of our ephemeral and the peer's public key, then HKDF-SHA256 (salt: the two nonces;
 * info: label, agent, lead, session, transcript) to 64 bytes: agent->lead, then lead->agent.
 * Throws on a peer key that is not 32 bytes or that yields the all-zero secret (a low-order point).
 */
export async function deriveSessionKeys(own: Ephemeral, peerPublicText: string, binding: SessionBinding, subtle?: Subtle): Promise<SessionKeys> {
  const s = subtleOf(subtle);
  const peerBytes = fromBase64Url(peerPublicText);
  if (peerBytes.byteLength !== 32) throw new TypeError(`peer X25519 key is ${peerBytes.byteLength} bytes, not 32`);
  const peer = await s.importKey('raw', toArrayBufferView(peerBytes), { name: 'X25519' }, false, []);
  const secret = new Uint8Array(await s.deriveBits({ name: 'X25519', public: peer }, own.privateKey, 256));
  if (secret.every((byte) => byte === 0)) throw new TypeError('peer X25519 key is a low-order point');
  const ikm = await s.importKey('raw', secret, 'HKDF', false, ['deriveBits']);
  const salt = concat(fromBase64Url(binding.agentNonce), fromBase64Url(binding.leadNonce));
  const info = encoder.encode([INFO_LABEL, binding.agentId, binding.leadId, binding.sessionId, binding.transcriptHash].join('\0'));
  const okm = new Uint8Array(await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: toArrayBufferView(salt), info: toArrayBufferView(info) }, ikm, 8 * 2 * SESSION_KEY_BYTES));
  secret.fill(0);
  return { agentToLead: okm.slice(0, SESSION_KEY_BYTES), leadToAgent: okm.slice(SESSION_KEY_BYTES) };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
