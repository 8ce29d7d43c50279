// Session mode for the replay: every replayed agent opens a heartbeat session with the lead
// (a signed SESSION_HELLO, the lead's SESSION_ACCEPT; docs/adr/0004) before any beat is built,
// so each beat can be tagged ahead of time and sending it costs a publish, as in ed25519 mode.
// Handshakes are start-up work: they run before the measured steps, a bounded number at a time,
// and an OVERLOADED refusal is retried after the lead's retry_after_ms.
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from 'nats';
import { headers as natsHeaders } from 'nats';
import { AgentHandshake, PROTOCOL_VERSION, SIGNATURE_HEADER, SIGNER_HEADER, encodeMessage, newMessageId, parseAuthenticated, subjects, type SessionAccept, type SessionHello } from '@mesh30k/shared';
import type { ReplayFleet, ReplaySession } from './frames.js';

const decoder = new TextDecoder();

export interface SessionOpening {
  sessions: ReplaySession[];
  seconds: number;
  /** Handshakes refused and tried again (OVERLOADED, timeouts). */
  retries: number;
}

async function openOne(nc: NatsConnection, fleet: ReplayFleet, index: number, leadId: string): Promise<ReplaySession | { retryAfterMs: number }> {
  const agent = fleet.agents[index]!;
  const handshake = await AgentHandshake.start();
  const now = Date.now();
  const hello: SessionHello = {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(now),
    sender_id: agent.agentId,
    created_at: now,
    ttl_ms: 10_000,
    kind: 'SESSION_HELLO',
    agent_id: agent.agentId,
    boot_id: fleet.bootId,
    ...handshake.helloFields,
  };
  const frame = await encodeMessage(hello, agent.signer, agent.agentId);
  const h = natsHeaders();
  h.set(SIGNER_HEADER, frame.signerId);
  h.set(SIGNATURE_HEADER, frame.signature);
  let answer;
  try {
    answer = await nc.request(subjects.session(leadId), frame.body, { timeout: 10_000, headers: h });
  } catch {
    return { retryAfterMs: 1_000 };
  }
  if (!answer.headers?.get(SIGNATURE_HEADER)) {
    const refusal = JSON.parse(decoder.decode(answer.data)) as { code?: string; message?: string; retry_after_ms?: number };
    if (refusal.code === 'OVERLOADED') return { retryAfterMs: refusal.retry_after_ms ?? 1_000 };
    throw new Error(`session handshake of ${agent.agentId} refused: ${refusal.code ?? '?'} ${refusal.message ?? ''}`);
  }
  // The lead's signature is not checked: the bench talks to its own lead, and spends its CPU on sending.
  const parsed = parseAuthenticated(answer.data, leadId, { accept: ['SESSION_ACCEPT'] });
  if (!parsed.ok) throw new Error(`SESSION_ACCEPT for ${agent.agentId} unreadable: ${parsed.error.code} ${parsed.error.message}`);
  const keys = await handshake.finish(frame.body, parsed.value.message as SessionAccept, { agentId: agent.agentId, leadId });
  if (!keys.ok) throw new Error(`session keys of ${agent.agentId}: ${keys.reason}`);
  return { id: (parsed.value.message as SessionAccept).session_id, agentToLead: keys.keys.agentToLead };
}

/** Opens one session per agent of the fleet, `concurrency` handshakes in flight at most. */
export async function openSessions(nc: NatsConnection, fleet: ReplayFleet, leadId: string, concurrency = 32, onProgress?: (done: number) => void): Promise<SessionOpening> {
  const began = performance.now();
  const sessions: ReplaySession[] = new Array<ReplaySession>(fleet.agents.length);
  let next = 0;
  let done = 0;
  let retries = 0;
  const worker = async (): Promise<void> => {
    while (next < fleet.agents.length) {
      const index = next++;
      for (;;) {
        const result = await openOne(nc, fleet, index, leadId);
        if ('id' in result) {
          sessions[index] = result;
          break;
        }
        retries++;
        await sleep(result.retryAfterMs);
      }
      done++;
      if (done % 2_000 === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sessions, seconds: (performance.now() - began) / 1000, retries };
}
