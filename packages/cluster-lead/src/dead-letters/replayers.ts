/**
 * How each kind of dead letter is delivered again. Payloads are read back from the database,
 * so each is validated before use; a payload that does not parse is not replayable.
 */
import { ConflictReport, newMessageId, subjects, type SignedFrame } from '@mesh30k/shared';
import { z } from 'zod';
import type { Replayer } from './desk.js';

const StoredFrame = z.object({ signer_id: z.string().min(1), signature: z.string().min(1), body: z.string().min(1) });
const TimedBody = z.object({ created_at: z.number(), ttl_ms: z.number() });

/**
 * COORDINATE sends (`coordinate.agent`, `coordinate.group`): the exact signed frame again, to
 * the same subject, while it is still inside its TTL. After that every agent would refuse it as
 * expired, and its target time has passed: the operator starts a new operation instead.
 */
export function coordinateReplayer(deps: { leadId: string; now: () => number; publish: (subject: string, frame: SignedFrame) => void }): Replayer {
  return (letter) => {
    const stored = StoredFrame.safeParse(letter.payload);
    if (!stored.success) return Promise.resolve({ ok: false, code: 'NOT_REPLAYABLE', reason: 'the stored frame is not readable' });
    let timed: z.infer<typeof TimedBody>;
    try {
      timed = TimedBody.parse(JSON.parse(stored.data.body));
    } catch {
      return Promise.resolve({ ok: false, code: 'NOT_REPLAYABLE', reason: 'the stored COORDINATE has no created_at and ttl_ms' });
    }
    const expiredAt = timed.created_at + timed.ttl_ms;
    if (deps.now() >= expiredAt) {
      return Promise.resolve({ ok: false, code: 'STALE', reason: `the COORDINATE expired at ${new Date(expiredAt).toISOString()} (its TTL); start a new operation instead` });
    }
    const subject = letter.agentId === null ? subjects.coordinateGroup(deps.leadId) : subjects.coordinateAgent(letter.agentId);
    deps.publish(subject, { body: new TextEncoder().encode(stored.data.body), signerId: stored.data.signer_id, signature: stored.data.signature });
    return Promise.resolve({ ok: true, detail: `COORDINATE published again on ${subject}` });
  };
}

/** `conflict.escalation`: the CONFLICT to the parent lead again, as a new message (new id and time). */
export function escalationReplayer(deps: { now: () => number; escalate: ((report: ConflictReport) => Promise<void>) | undefined }): Replayer {
  return async (letter) => {
    const escalate = deps.escalate;
    if (escalate === undefined) return { ok: false, code: 'NOT_REPLAYABLE', reason: 'this lead has no parent to escalate to' };
    const stored = ConflictReport.safeParse(letter.payload);
    if (!stored.success) return { ok: false, code: 'NOT_REPLAYABLE', reason: 'the stored CONFLICT is not readable' };
    const now = deps.now();
    await escalate({ ...stored.data, message_id: newMessageId(now), created_at: now });
    return { ok: true, detail: 'conflict escalated to the parent lead' };
  };
}

const StoredDelegation = z.object({
  task: z.object({ verb: z.unknown(), payload: z.unknown(), payload_weight: z.number().optional() }),
  to: z.unknown(),
  timeout_ms: z.number().optional(),
  max_attempts: z.number().optional(),
  priority: z.number().optional(),
  automated: z.boolean().optional(),
});

/** `delegation`: the same task as a new delegation (a new id; the agents are chosen afresh). */
export function delegationReplayer(deps: { start: (raw: unknown) => { ok: true; delegationId: string } | { ok: false; error: { reason: string; path: string } } }): Replayer {
  return (letter) => {
    const stored = StoredDelegation.safeParse(letter.payload);
    if (!stored.success) return Promise.resolve({ ok: false, code: 'NOT_REPLAYABLE', reason: 'the stored delegation is not readable' });
    const d = stored.data;
    const started = deps.start({
      task: { verb: d.task.verb, payload: d.task.payload ?? null, ...(d.task.payload_weight === undefined ? {} : { payloadWeight: d.task.payload_weight }) },
      ...(d.to === undefined ? {} : { to: d.to }),
      ...(d.timeout_ms === undefined ? {} : { timeoutMs: d.timeout_ms }),
      ...(d.max_attempts === undefined ? {} : { maxAttempts: d.max_attempts }),
      ...(d.priority === undefined ? {} : { priority: d.priority }),
      ...(d.automated === undefined ? {} : { automated: d.automated }),
    });
    if (!started.ok) return Promise.resolve({ ok: false, code: 'NOT_REPLAYABLE', reason: `${started.error.path}: ${started.error.reason}` });
    return Promise.resolve({ ok: true, detail: `started again as delegation ${started.delegationId}`, startedAs: started.delegationId });
  };
}
