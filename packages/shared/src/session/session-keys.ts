import { fromBase64Url, toArrayBufferView, toBase64Url, toHex } from '../signing/encoding.js';

/**
 * The key exchange of a heartbeat session (docs/adr/0004): an X25519 ephemeral key per side,
 * each sent inside a message its side's Ed25519 identity signs, and HKDF-SHA256 from the shared
 * secret to one key per direction. The primitives come through `SessionCrypto`: WebCrypto by
 * default, so it runs in Node and in workerd alike; Node processes pass the synchronous
 * node:crypto one (`nodeSessionCrypto`, @mesh30k/shared/node), a few times cheaper per handshake.
 */
type Subtle = typeof globalThis.crypto.subtle;
type WebCryptoKey = Awaited<ReturnType<Subtle['importKey']>>;

export const SESSION_KEY_BYTES = 32;
export const SESSION_NONCE_BYTES = 16;
const X25519_BYTES = 32;
const INFO_LABEL = 'mesh30k hb v1';
const encoder = new TextEncoder();

/**
 * One side's ephemeral X25519 key. The private half is opaque, stays inside the SessionCrypto
 * that made it (only that one can use it) and is dropped after derivation.
 */
export interface Ephemeral {
  /** 32 raw bytes, base64url on the wire. */
  readonly publicKey: Uint8Array;
  readonly privateKey: object;
}

/** The primitives of the exchange. Each rejects (or throws) on what it cannot do. */
export interface SessionCrypto {
  readonly name: string;
  newEphemeral(): Promise<Ephemeral>;
  /** The X25519 shared secret of `own` and the peer's 32 raw public bytes. */
  x25519(own: Ephemeral, peerPublic: Uint8Array): Promise<Uint8Array>;
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, bytes: number): Promise<Uint8Array>;
  sha256(data: Uint8Array): Promise<Uint8Array>;
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

/** SessionCrypto on WebCrypto (the default; `subtle` for tests). */
export function webSessionCrypto(subtle: Subtle = globalThis.crypto.subtle): SessionCrypto {
  return {
    name: 'webcrypto',
    async newEphemeral() {
      const pair = (await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as { publicKey: WebCryptoKey; privateKey: WebCryptoKey };
      const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
      return { publicKey, privateKey: pair.privateKey };
    },
    async x25519(own, peerPublic) {
      const peer = await subtle.importKey('raw', toArrayBufferView(peerPublic), { name: 'X25519' }, false, []);
      return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: peer }, own.privateKey as WebCryptoKey, 8 * X25519_BYTES));
    },
    async hkdfSha256(ikm, salt, info, bytes) {
      const key = await subtle.importKey('raw', toArrayBufferView(ikm), 'HKDF', false, ['deriveBits']);
      return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: toArrayBufferView(salt), info: toArrayBufferView(info) }, key, 8 * bytes));
    },
    async sha256(data) {
      return new Uint8Array(await subtle.digest('SHA-256', toArrayBufferView(data)));
    },
  };
}

const defaultCrypto = (crypto?: SessionCrypto): SessionCrypto => crypto ?? webSessionCrypto();

export function newEphemeral(crypto?: SessionCrypto): Promise<Ephemeral> {
  return defaultCrypto(crypto).newEphemeral();
}

/** A fresh handshake nonce, base64url. */
export function newNonce(): string {
  return toBase64Url(globalThis.crypto.getRandomValues(new Uint8Array(SESSION_NONCE_BYTES)));
}

/** SHA-256 hex of a SESSION_HELLO's bytes: the ACCEPT names the one HELLO it answers. */
export async function transcriptHash(helloBody: Uint8Array, crypto?: SessionCrypto): Promise<string> {
  return toHex(await defaultCrypto(crypto).sha256(helloBody));
}

/**
 * X25519 of our ephemeral and the peer's public key, then HKDF-SHA256 (salt: the two nonces;
 * info: label, agent, lead, session, transcript) to 64 bytes: agent->lead, then lead->agent.
 * Throws on a peer key that is not 32 bytes or that yields the all-zero secret (a low-order point).
 */
export async function deriveSessionKeys(own: Ephemeral, peerPublicText: string, binding: SessionBinding, crypto?: SessionCrypto): Promise<SessionKeys> {
  const c = defaultCrypto(crypto);
  const peerBytes = fromBase64Url(peerPublicText);
  if (peerBytes.byteLength !== X25519_BYTES) throw new TypeError(`peer X25519 key is ${peerBytes.byteLength} bytes, not ${X25519_BYTES}`);
  const secret = await c.x25519(own, peerBytes);
  if (secret.every((byte) => byte === 0)) throw new TypeError('peer X25519 key is a low-order point');
  const salt = concat(fromBase64Url(binding.agentNonce), fromBase64Url(binding.leadNonce));
  const info = encoder.encode([INFO_LABEL, binding.agentId, binding.leadId, binding.sessionId, binding.transcriptHash].join('\0'));
  const okm = await c.hkdfSha256(secret, salt, info, 2 * SESSION_KEY_BYTES);
  secret.fill(0);
  return { agentToLead: okm.slice(0, SESSION_KEY_BYTES), leadToAgent: okm.slice(SESSION_KEY_BYTES) };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
