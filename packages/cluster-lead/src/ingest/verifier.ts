import { verifyAndParse, type IncomingFrame, type KeyResolver, type MessageKind, type Result, type Verified, type WireRefusal } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { RefusalCode } from '../lib/events.js';

/** A refusal from verification: the wire's codes, or the lead's (OVERLOADED, VERIFIER_FAILED). */
export interface IngestRefusal {
  code: RefusalCode;
  message: string;
}

/**
 * Verifies frames and parses them with shared's verifyAndParse. Two implementations: inline
 * on the main thread, and a pool of worker threads for when signatures are the bottleneck.
 */
export interface FrameVerifier {
  /** `override` replaces the verifier's kinds and keys for this frame. */
  verify(frame: IncomingFrame, override?: RuleOverride): Promise<Result<Verified, WireRefusal | IngestRefusal>>;
  close(): Promise<void>;
  readonly threads: number;
  /** Resolves once the verifier can work (worker threads loaded). */
  readonly ready: Promise<void>;
  /** Frames queued or being verified (a pool); absent or 0 when verification is inline. */
  readonly backlog?: number;
}

export interface VerifyRules {
  resolveKey: KeyResolver;
  accept: readonly MessageKind[];
  maxBytes?: number;
}

/**
 * Other kinds with other keys, through the same verifier (ACKs, whose keys include Workers').
 * `priority`: verified before every frame without it (a pool): session handshakes, each of
 * which takes one agent off per-beat Ed25519.
 * `patient`: never refused for waiting (a pool's maxWaitMs): an ACK, which its agent keeps
 * until it is answered and which counts for its operation however late it is verified when it
 * reached the lead by the deadline. A pool takes patient frames in turn with the others.
 */
export type RuleOverride = Pick<VerifyRules, 'resolveKey' | 'accept'> & { priority?: boolean; patient?: boolean };

/** Verifies on the calling thread with node:crypto: simplest, fine for small fleets. */
export class InlineVerifier implements FrameVerifier {
  readonly threads = 0;
  readonly ready = Promise.resolve();

  constructor(private readonly rules: VerifyRules) {}

  verify(frame: IncomingFrame, override?: RuleOverride): Promise<Result<Verified, WireRefusal>> {
    const { accept, resolveKey } = override ?? this.rules;
    return verifyAndParse(frame, {
      ed25519: nodeEd25519,
      resolveKey,
      accept,
      ...(this.rules.maxBytes === undefined ? {} : { maxBytes: this.rules.maxBytes }),
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
