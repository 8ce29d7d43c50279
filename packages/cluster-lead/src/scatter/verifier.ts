/**
 * The default ACK verifier: shared's verifyAndParse on the event loop, accepting ACKs only,
 * with the registry's key resolver and a replay guard. A lead verifying thousands of ACKs a
 * second passes a verifier backed by worker threads instead (same interface).
 */
import { verifyAndParse } from '@mesh30k/shared';
import type { Ack, Ed25519, KeyResolver, ReplayCheck, Verified } from '@mesh30k/shared';
import type { AckVerifier } from './ports.js';

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
