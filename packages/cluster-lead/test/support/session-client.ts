/**
 * The agent's half of a heartbeat session, for lead tests: a HELLO signed by a test agent's
 * key, the lead's ACCEPT verified with the lead's key, then heartbeats tagged under the session.
 */
import {
  AgentHandshake,
  PROTOCOL_VERSION,
  SESSION_HEADER,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  TAG_HEADER,
  checkSessionTag,
  encodeMessage,
  err,
  newMessageId,
  ok,
  parseAuthenticated,
  sessionTag,
  subjects,
  verifyAndParse,
  type Heartbeat,
  type HeartbeatReply,
  type SessionAccept,
  type SessionHello,
  type SessionKeys,
} from '@mesh30k/shared';
import { nodeEd25519, nodeHmacSha256 } from '@mesh30k/shared/node';
import { headers as natsHeaders, type Msg, type NatsConnection } from 'nats';
import type { HeartbeatOverrides, TestAgent } from './test-agents.js';

const TIMEOUT_MS = 5_000;
const decoder = new TextDecoder();

export interface ClientSession {
  readonly id: string;
  readonly keys: SessionKeys;
  readonly expiresInMs: number;
}

/** An unsigned refusal ({ok:false, code, message}) or a tagged/signed reply, as the agent sees it. */
export type SessionAnswer = { refused: string; retryAfterMs?: number } | { reply: HeartbeatReply; tagged: boolean };

export class SessionClient {
  constructor(
    readonly agent: TestAgent,
    private readonly nc: NatsConnection,
    private readonly lead: { leadId: string; publicKey: Uint8Array },
  ) {}

  /** A signed HELLO (optionally of given bytes: a replay), and the raw answer. */
  async hello(overrides: Partial<SessionHello> = {}): Promise<{ handshake: AgentHandshake; helloBody: Uint8Array; answer: Msg }> {
    const handshake = await AgentHandshake.start();
    const now = this.agent.options.clock.now();
    const hello: SessionHello = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(now),
      sender_id: this.agent.agentId,
      created_at: now,
      ttl_ms: 10_000,
      kind: 'SESSION_HELLO',
      agent_id: this.agent.agentId,
      boot_id: 'boot-test',
      ...handshake.helloFields,
      ...overrides,
    };
    const frame = await encodeMessage(hello, this.agent.signer, this.agent.agentId);
    const answer = await this.agent.requestOn(subjects.session(this.lead.leadId), frame);
    return { handshake, helloBody: frame.body, answer };
  }

  /** Sends bytes already signed once (a captured HELLO) again. */
  resend(body: Uint8Array, signature: string): Promise<Msg> {
    return this.agent.requestOn(subjects.session(this.lead.leadId), { body, signerId: this.agent.agentId, signature });
  }

  /** Opens a session; throws if the lead refuses. */
  async open(): Promise<ClientSession> {
    const { handshake, helloBody, answer } = await this.hello();
    return this.finish(handshake, helloBody, answer);
  }

  async finish(handshake: AgentHandshake, helloBody: Uint8Array, answer: Msg): Promise<ClientSession> {
    const accept = await this.acceptOf(answer);
    const keys = await handshake.finish(helloBody, accept, { agentId: this.agent.agentId, leadId: this.lead.leadId });
    if (!keys.ok) throw new Error(keys.reason);
    return { id: accept.session_id, keys: keys.keys, expiresInMs: accept.expires_in_ms };
  }

  /** The verified ACCEPT, or an error naming the refusal. */
  async acceptOf(answer: Msg): Promise<SessionAccept> {
    if (!answer.headers?.get(SIGNATURE_HEADER)) throw new Error(`refused: ${decoder.decode(answer.data)}`);
    const verified = await verifyAndParse(
      { body: answer.data, signerId: answer.headers.get(SIGNER_HEADER), signature: answer.headers.get(SIGNATURE_HEADER) },
      { ed25519: nodeEd25519, resolveKey: (id) => (id === this.lead.leadId ? ok(this.lead.publicKey) : err({ code: 'UNKNOWN_SIGNER', message: id })), accept: ['SESSION_ACCEPT'] },
    );
    if (!verified.ok) throw new Error(`ACCEPT refused: ${verified.error.code} ${verified.error.message}`);
    return verified.value.message as SessionAccept;
  }

  /** A heartbeat's bytes and tag in this session (not sent). */
  async tagged(session: ClientSession, overrides: HeartbeatOverrides = {}): Promise<{ heartbeat: Heartbeat; body: Uint8Array; tag: string }> {
    const heartbeat = this.agent.buildHeartbeat(overrides);
    const body = new TextEncoder().encode(JSON.stringify(heartbeat));
    return { heartbeat, body, tag: await sessionTag(nodeHmacSha256, session.keys.agentToLead, session.id, undefined, body) };
  }

  /** Sends tagged bytes and returns what the agent would make of the answer (the reply's tag checked against `seq`). */
  async send(session: ClientSession, beat: { body: Uint8Array; tag: string; heartbeat: Heartbeat }): Promise<SessionAnswer> {
    const h = natsHeaders();
    h.set(SIGNER_HEADER, this.agent.agentId);
    h.set(SESSION_HEADER, session.id);
    h.set(TAG_HEADER, beat.tag);
    const answer = await this.nc.request(subjects.heartbeat(this.lead.leadId), beat.body, { timeout: TIMEOUT_MS, headers: h });
    const tag = answer.headers?.get(TAG_HEADER);
    if (!tag) {
      const refusal = JSON.parse(decoder.decode(answer.data)) as { code: string; retry_after_ms?: number };
      return { refused: refusal.code, ...(refusal.retry_after_ms === undefined ? {} : { retryAfterMs: refusal.retry_after_ms }) };
    }
    if (answer.headers?.get(SESSION_HEADER) !== session.id) throw new Error('reply names another session');
    if (!(await checkSessionTag(nodeHmacSha256, session.keys.leadToAgent, session.id, beat.heartbeat.seq, answer.data, tag))) throw new Error('reply tag does not check');
    const parsed = parseAuthenticated(answer.data, this.lead.leadId, { accept: ['HEARTBEAT_REPLY'] });
    if (!parsed.ok) throw new Error(`reply refused: ${parsed.error.message}`);
    return { reply: parsed.value.message as HeartbeatReply, tagged: true };
  }

  async beat(session: ClientSession, overrides: HeartbeatOverrides = {}): Promise<SessionAnswer> {
    return this.send(session, await this.tagged(session, overrides));
  }
}

/** The reply's reason code, or the unsigned refusal's code; 'accepted' when accepted. */
export function outcomeOf(answer: SessionAnswer): string {
  if ('refused' in answer) return answer.refused;
  return answer.reply.accepted ? 'accepted' : (answer.reply.reason_code ?? 'refused');
}
