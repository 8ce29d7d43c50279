import { PROTOCOL_VERSION, newMessageId, type Pong } from '@mesh30k/shared';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env.js';
import { toMesh } from '../clock/mesh-time.js';
import { clockOffsetFromPing } from '../clock/offset-carrier.js';
import { EDGE_AGENT_CLASS } from '../coordinate/selector.js';
import { EdgeError } from '../http/errors.js';
import { readSignedRequest } from '../http/signed-request.js';
import { signedResponse } from '../http/signed-response.js';

/** How long the lead may act on a PONG. */
const PONG_TTL_MS = 30_000;

/**
 * POST /v1/ping: the lead's clock exchange with this Worker. t2 is the Worker clock when the
 * request arrived (stamped before the body was read), t3 the Worker clock just before the
 * PONG is signed; the lead adds its t1 and t4 and computes the offset. Also reports class,
 * capabilities, frozen and processing statistics, so the Worker sits in the registry like any agent.
 */
export async function pingRoute(c: Context<AppEnv>): Promise<Response> {
  const runtime = c.get('runtime');
  const t2 = c.get('receivedAt');
  const { config, clock, state } = runtime;
  const { message } = await readSignedRequest(c.req.raw, 'PING', runtime);
  if (message.target_id !== config.agentId) {
    throw new EdgeError('WRONG_TARGET', `PING is for "${message.target_id}", this is "${config.agentId}"`);
  }
  const admitted = await state.admit({
    kind: 'PING',
    messageId: message.message_id,
    createdAt: message.created_at,
    ttlMs: message.ttl_ms,
    clockOffsetMs: clockOffsetFromPing(message),
  });
  if (!admitted.ok) throw new EdgeError(admitted.code, admitted.message);
  const { snapshot } = admitted;

  const t3 = clock.now();
  const createdAt = toMesh(t3, snapshot.clockOffsetMs);
  const pong: Pong = {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(createdAt),
    sender_id: config.agentId,
    created_at: createdAt,
    ttl_ms: PONG_TTL_MS,
    causation_id: message.message_id,
    kind: 'PONG',
    agent_id: config.agentId,
    t1: message.t1,
    t2,
    t3: Math.max(t2, t3),
    agent_class: EDGE_AGENT_CLASS,
    capabilities: [...config.capabilities],
    frozen: snapshot.frozen,
    stats: snapshot.stats,
  };
  return signedResponse(pong, runtime);
}
