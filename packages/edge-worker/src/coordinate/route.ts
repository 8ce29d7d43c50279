import type { UnrunnableCoordinate } from '@mesh30k/shared';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env.js';
import { clockOffsetFromCoordinate } from '../clock/offset-carrier.js';
import { holdUntil } from '../clock/hold.js';
import { EdgeError } from '../http/errors.js';
import { signedResponse } from '../http/signed-response.js';
import { buildAck, type AckOutcome } from './ack.js';
import { capabilityConflict, missingCapabilities } from './capabilities.js';
import { releaseFor, type Release } from './release.js';
import { isSelected } from './selector.js';
import { readCoordinate } from './unrunnable.js';
import { runVerb } from './verbs.js';

/**
 * POST /v1/coordinate: verify, admit (replay and expiry, in the Durable Object), check
 * selection and capabilities, run the verb, record the outcome, then release per mode and
 * answer with a signed ACK. Conflicts and refusals are answered at once, never held.
 */
export async function coordinateRoute(c: Context<AppEnv>): Promise<Response> {
  const runtime = c.get('runtime');
  const receivedAtLocal = c.get('receivedAt');
  const { config, clock, state } = runtime;
  const read = await readCoordinate(c.req.raw, runtime);
  if (read.kind === 'unrunnable') return answerUnrunnable(c, read.read, receivedAtLocal);
  const { message } = read;
  if (!isSelected(message.selector, config)) {
    throw new EdgeError('NOT_SELECTED', `operation ${message.operation_id} does not select agent ${config.agentId}`);
  }

  const admitted = await state.admit({
    kind: 'COORDINATE',
    messageId: message.message_id,
    createdAt: message.created_at,
    ttlMs: message.ttl_ms,
    clockOffsetMs: clockOffsetFromCoordinate(message, config.agentId),
    leadId: message.sender_id,
    ...(message.lease_epoch === undefined ? {} : { leaseEpoch: message.lease_epoch }),
  });
  if (!admitted.ok) throw new EdgeError(admitted.code, admitted.message);
  const { contextHash, clockOffsetMs: offsetMs, frozen } = admitted.snapshot;
  const release = releaseFor(message, offsetMs, clock.now(), config.maxHoldMs);

  const outcome = await decide();
  const completed = await state.complete({
    coordinateId: message.message_id,
    operationId: message.operation_id,
    processingMs: clock.now() - receivedAtLocal,
    ...(outcome.state === 'ready' && outcome.advanceWith !== undefined ? { advanceWith: outcome.advanceWith } : {}),
    ...(outcome.state === 'conflict' ? { conflict: outcome.detail } : {}),
  });
  const processedAtLocal = clock.now();

  const ack: AckOutcome =
    outcome.state === 'ready' ? { state: 'ready', result: { ...outcome.result, context_hash: completed.contextHash } } : outcome;
  const readyAtLocal = ack.state === 'ready' && release.kind === 'hold' ? await holdUntil(release.untilLocal, runtime) : processedAtLocal;

  return signedResponse(
    buildAck({
      coordinate: message,
      agentId: config.agentId,
      outcome: ack,
      receivedAtLocal,
      readyAtLocal,
      processingMs: processedAtLocal - receivedAtLocal,
      offsetMs,
      nowLocal: clock.now(),
    }),
    runtime,
  );

  /** Refusals first (nothing is done), then capabilities, then the verb itself. */
  async function decide(): Promise<AckOutcome & { advanceWith?: string }> {
    const refusal = refusalFor(frozen, release, config.agentId, config.maxHoldMs);
    if (refusal) return refusal;
    const missing = missingCapabilities(message.requires_capabilities, config.capabilities);
    if (missing.length > 0) return { state: 'conflict', detail: capabilityConflict(missing, config.capabilities, contextHash) };
    return runVerb(message, contextHash);
  }
}

function refusalFor(frozen: boolean, release: Release, agentId: string, maxHoldMs: number): AckOutcome | undefined {
  if (frozen) return { state: 'refused', code: 'FROZEN', message: `agent ${agentId} is frozen` };
  if (release.kind === 'too-far') {
    return { state: 'refused', code: 'TARGET_TOO_FAR', message: `T is ${Math.round(release.aheadMs)} ms away; this agent holds at most ${maxHoldMs} ms` };
  }
  return undefined;
}

/**
 * An authentic COORDINATE this Worker cannot run: if it selects this agent and is fresh, a
 * signed TRANSIT ACK with the reason (VERB_UNSUPPORTED, FRAME_REFUSED); never READY.
 */
async function answerUnrunnable(c: Context<AppEnv>, read: UnrunnableCoordinate, receivedAtLocal: number): Promise<Response> {
  const runtime = c.get('runtime');
  const { config, clock, state } = runtime;
  const { head } = read;
  if (!isSelected(head.selector, config)) throw new EdgeError('NOT_SELECTED', `operation ${head.operation_id} does not select agent ${config.agentId}`);
  const admitted = await state.admit({
    kind: 'COORDINATE',
    messageId: head.message_id,
    createdAt: head.created_at,
    ttlMs: head.ttl_ms,
    leadId: head.sender_id,
    ...(head.lease_epoch === undefined ? {} : { leaseEpoch: head.lease_epoch }),
  });
  if (!admitted.ok) throw new EdgeError(admitted.code, admitted.message);
  const processingMs = clock.now() - receivedAtLocal;
  await state.complete({ coordinateId: head.message_id, operationId: head.operation_id, processingMs });
  const now = clock.now();
  return signedResponse(
    buildAck({
      coordinate: head,
      agentId: config.agentId,
      outcome: { state: 'refused', code: read.code, message: read.message },
      receivedAtLocal,
      readyAtLocal: now,
      processingMs,
      offsetMs: admitted.snapshot.clockOffsetMs,
      nowLocal: now,
    }),
    runtime,
  );
}
