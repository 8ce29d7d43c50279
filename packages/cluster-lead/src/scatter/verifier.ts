/**
 * ACK verifiers. The inline one runs shared's verifyAndParse on the event loop; the pooled one
 * hands the signature check to worker threads (the lead's heartbeat verify pool), because an
 * operation over thousands of agents gets all their ACKs within a few milliseconds of T, and
 * verifying them inline would stall the timers and replies of everything else for a third of
 * a second per thousand. Both accept ACKs only and check replays on the main thread.
 */
import { verifyAndParse } from '@mesh30k/shared';
import type { Ack, Ed25519, IncomingFrame, KeyResolver, MessageKind, ReplayCheck, Result, Verified } from '@mesh30k/shared';
import type { AckRefusal, AckVerifier } from './ports.js';

export interface InlineVerifierDeps {
  readonly ed25519: Ed25519;
  /** Enrolled, unexpired, unrevoked agent keys (the registry's trust store). */
  readonly resolveKey: KeyResolver;
  readonly replay: ReplayCheck;
}

export function inlineAckVerifier(deps: InlineVerifierDeps): AckVerifier {
  return {
    async verify(frame) {
      const result = await verifyAndParse(frame, { ed25519: deps.ed25519, resolveKey: deps.resolveKey, replay: deps.replay, accept: ['ACK'] });
      if (!result.ok) return result;
      // accept: ['ACK'] guarantees the kind; the narrowing is for the type checker.
      return { ok: true, value: result.value as Verified<Ack> };
    },
  };
}

/** What the pooled verifier needs of a pool: verify one frame as one of `accept` with these keys. */
export interface FramePool {
  verify(frame: IncomingFrame, rules: { accept: readonly MessageKind[]; resolveKey: KeyResolver; patient?: boolean }): Promise<Result<Verified, AckRefusal>>;
}

const ACK_ONLY: readonly MessageKind[] = ['ACK'];

export function pooledAckVerifier(deps: { readonly pool: FramePool; readonly resolveKey: KeyResolver; readonly replay: ReplayCheck }): AckVerifier {
  // Patient: an ACK that reached the lead in time counts however long it waits for a worker
  // (the decision waits for it); refused for waiting, it would come back late from the outbox.
  const rules = { accept: ACK_ONLY, resolveKey: deps.resolveKey, patient: true };
  return {
    async verify(frame) {
      const result = await deps.pool.verify(frame, rules);
      if (!result.ok) return result;
      const message = result.value.message as Ack;
      const fresh = deps.replay.check(message.message_id, message.created_at);
      if (!fresh.ok) return { ok: false, error: fresh.error };
      return { ok: true, value: result.value as Verified<Ack> };
    },
  };
}
