import type { SessionAccept, SessionHello } from '../protocol/messages.js';
import { toBase64Url } from '../signing/encoding.js';
import { deriveSessionKeys, newEphemeral, newNonce, transcriptHash, type Ephemeral, type SessionCrypto, type SessionKeys } from './session-keys.js';

/**
 * Both halves of the handshake, without the wire: the caller builds, signs, sends and
 * verifies the messages (Ed25519, as every message), these only add and check the key parts.
 */

/** The agent's side: an ephemeral and a nonce for one HELLO, then the keys from its ACCEPT. */
export class AgentHandshake {
  private constructor(
    private readonly ephemeral: Ephemeral,
    readonly nonce: string,
    private readonly crypto: SessionCrypto | undefined,
  ) {}

  /** `crypto`: the primitives (WebCrypto when absent); the ephemeral is made and used by the same. */
  static async start(crypto?: SessionCrypto): Promise<AgentHandshake> {
    return new AgentHandshake(await newEphemeral(crypto), newNonce(), crypto);
  }

  /** The key fields of the SESSION_HELLO. */
  get helloFields(): Pick<SessionHello, 'eph_x25519_pub' | 'nonce'> {
    return { eph_x25519_pub: toBase64Url(this.ephemeral.publicKey), nonce: this.nonce };
  }

  /**
   * The session keys from a verified ACCEPT (signed by the lead, addressed to this agent), or
   * why not: an ACCEPT of another HELLO, or a bad key.
   */
  async finish(helloBody: Uint8Array, accept: SessionAccept, ids: { agentId: string; leadId: string }): Promise<{ ok: true; keys: SessionKeys } | { ok: false; reason: string }> {
    if (accept.agent_id !== ids.agentId) return { ok: false, reason: `SESSION_ACCEPT is for "${accept.agent_id}"` };
    const hash = await transcriptHash(helloBody, this.crypto);
    if (hash !== accept.transcript_hash) return { ok: false, reason: 'SESSION_ACCEPT answers another SESSION_HELLO (transcript_hash differs)' };
    try {
      const keys = await deriveSessionKeys(this.ephemeral, accept.eph_x25519_pub, {
        agentId: ids.agentId,
        leadId: ids.leadId,
        sessionId: accept.session_id,
        agentNonce: this.nonce,
        leadNonce: accept.nonce,
        transcriptHash: hash,
      }, this.crypto);
      return { ok: true, keys };
    } catch (cause) {
      return { ok: false, reason: `session keys could not be derived: ${cause instanceof Error ? cause.message : String(cause)}` };
    }
  }
}

/** The lead's side: keys and the ACCEPT's key fields for one verified HELLO. */
export async function acceptHello(
  hello: SessionHello,
  helloBody: Uint8Array,
  ids: { leadId: string; sessionId: string },
  crypto?: SessionCrypto,
): Promise<{ keys: SessionKeys; acceptFields: Pick<SessionAccept, 'eph_x25519_pub' | 'nonce' | 'transcript_hash' | 'session_id'> }> {
  const ephemeral = await newEphemeral(crypto);
  const nonce = newNonce();
  const hash = await transcriptHash(helloBody, crypto);
  const keys = await deriveSessionKeys(ephemeral, hello.eph_x25519_pub, {
    agentId: hello.agent_id,
    leadId: ids.leadId,
    sessionId: ids.sessionId,
    agentNonce: hello.nonce,
    leadNonce: nonce,
    transcriptHash: hash,
  }, crypto);
  return { keys, acceptFields: { eph_x25519_pub: toBase64Url(ephemeral.publicKey), nonce, transcript_hash: hash, session_id: ids.sessionId } };
}
