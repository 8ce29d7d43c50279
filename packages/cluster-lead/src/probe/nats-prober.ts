import {
  PROTOCOL_VERSION,
  encodeMessage,
  newMessageId,
  subjects,
  verifyAndParse,
  type Clock,
  type KeyResolver,
  type Ping,
  type Pong,
} from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { describeError } from '../lib/errors.js';
import { frameHeaders, frameOf } from '../nats/frames.js';
import type { NatsLink } from '../nats/nats-link.js';
import type { Prober, ProbeResult } from '../registry/index.js';
import type { LeadIdentity } from '../trust/index.js';

export interface NatsProberDeps {
  clock: Clock;
  link: NatsLink;
  identity: LeadIdentity;
  /** Keys the PONG must be signed with: the agent's trusted keys. */
  resolveKey: KeyResolver;
}

/**
 * The direct probe before an agent is declared offline: a signed PING as a NATS request on
 * the agent's own probe subject, answered by a signed PONG that echoes our t1. Any failure
 * (no connection, no responder, timeout, a bad or mismatched answer) is a failed probe.
 */
export class NatsProber implements Prober {
  constructor(
    private readonly deps: NatsProberDeps,
    private readonly options: { timeoutMs: number },
  ) {}

  async probe(agentId: string): Promise<ProbeResult> {
    const nc = this.deps.link.connection;
    if (nc === undefined) return { ok: false, reason: 'NATS not connected' };
    const { clock, identity } = this.deps;
    const t1 = clock.now();
    const ping: Ping = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(t1),
      sender_id: identity.leadId,
      created_at: t1,
      ttl_ms: this.options.timeoutMs,
      kind: 'PING',
      target_id: agentId,
      t1,
    };
    try {
      const frame = await encodeMessage(ping, identity.signer, identity.leadId);
      const answer = await nc.request(subjects.probe(agentId), frame.body, { timeout: this.options.timeoutMs, headers: frameHeaders(frame) });
      const t4 = clock.now();
      const verified = await verifyAndParse(frameOf(answer), { ed25519: nodeEd25519, resolveKey: this.deps.resolveKey, accept: ['PONG'] });
      if (!verified.ok) return { ok: false, reason: `PONG refused: ${verified.error.code}` };
      const pong = verified.value.message as Pong;
      if (pong.agent_id !== agentId || pong.t1 !== t1) return { ok: false, reason: 'PONG does not answer this PING' };
      return { ok: true, rttMs: Math.max(0, t4 - t1 - (pong.t3 - pong.t2)) };
    } catch (error) {
      return { ok: false, reason: describeError(error) };
    }
  }
}
