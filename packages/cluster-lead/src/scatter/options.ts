/**
 * Engine settings, one schema with a default per key. The lead's config maps its own section
 * onto this; anything not given takes the default.
 */
import { z } from 'zod';
import { DEFAULT_BUCKET_MS, DEFAULT_HOLD_MARGIN_MS } from '@mesh30k/shared';
import { DEFAULT_SEND_LAG_PER_AGENT_MS } from './send-lag.js';

/** Operations that may send and gather at once; more wait in the queue. */
export const DEFAULT_MAX_IN_FLIGHT = 4;
/** Operations that may wait; beyond this, new ones are refused as SATURATED. */
export const DEFAULT_MAX_QUEUED = 64;
/** A queued operation gains one priority level per this much waiting, so low priorities never starve. */
export const DEFAULT_AGING_STEP_MS = 2_000;
/** A queued operation that has not started after this long is refused (QUEUE_TIMEOUT). */
export const DEFAULT_MAX_QUEUE_WAIT_MS = 30_000;
/**
 * Estimated cost of building and signing one COORDINATE (schema check, JSON, Ed25519), ms;
 * encodeMessage with node:crypto measured about 66 us here. A bucket's timer fires this much
 * per frame ahead of its send time, so the last frame of a big bucket is not late; the first
 * ones leave a little early, which the buffer absorbs.
 */
export const DEFAULT_SIGN_COST_MS_PER_FRAME = 0.08;
/** Allowance for the ACK's trip back and its verification, on top of the agent's one-way delay. */
export const DEFAULT_ACK_RETURN_SLACK_MS = 25;
/**
 * Longest an operation's decision waits past its deadline for ACKs that reached the lead before
 * it and are still being verified (a busy lead's queue); beyond it they are recorded late.
 */
export const DEFAULT_ACK_BACKLOG_MAX_MS = 5_000;
/**
 * Longest an ACK's reply is held back for its operation's decision, ms, counted from the ACK's
 * arrival and including the signing of the replies held before it (OperationRun.replyGate):
 * inside the agent's 2 s wait for it (pi-daemon ackTimeoutMs) by 750 ms for the trip back and
 * a busy event loop. At 750 ms the gate opened before a 10,000-agent operation was decided and
 * its signing took a fifth of the lead's main thread between T and the decision.
 */
export const DEFAULT_REPLY_HOLD_MS = 1_250;
/** Completed operations remembered in memory so late ACKs (from outboxes) are confirmed and recorded. */
export const DEFAULT_RECENT_OPERATIONS = 256;

/**
 * An operation resumed after a lead restart takes ACKs at least this long after the restart,
 * however long ago its deadline passed: the agents' outboxes redeliver them once the lead is
 * back (at their next heartbeat or retry).
 */
export const DEFAULT_RESUME_GRACE_MS = 10_000;

export const ScatterOptions = z
  .object({
    maxInFlight: z.number().int().min(1).default(DEFAULT_MAX_IN_FLIGHT),
    maxQueued: z.number().int().min(0).default(DEFAULT_MAX_QUEUED),
    agingStepMs: z.number().positive().default(DEFAULT_AGING_STEP_MS),
    maxQueueWaitMs: z.number().positive().default(DEFAULT_MAX_QUEUE_WAIT_MS),
    bucketMs: z.number().positive().default(DEFAULT_BUCKET_MS),
    holdMarginMs: z.number().min(0).default(DEFAULT_HOLD_MARGIN_MS),
    signCostMsPerFrame: z.number().min(0).default(DEFAULT_SIGN_COST_MS_PER_FRAME),
    ackReturnSlackMs: z.number().min(0).default(DEFAULT_ACK_RETURN_SLACK_MS),
    ackBacklogMaxMs: z.number().min(0).default(DEFAULT_ACK_BACKLOG_MAX_MS),
    recentOperations: z.number().int().min(0).default(DEFAULT_RECENT_OPERATIONS),
    resumeGraceMs: z.number().min(0).default(DEFAULT_RESUME_GRACE_MS),
    /**
     * Expected lag from choosing T to the first send, per selected agent, until the lead has
     * measured its own (send-lag.ts); a chosen T is that much later.
     */
    sendLagPerAgentMs: z.number().min(0).default(DEFAULT_SEND_LAG_PER_AGENT_MS),
    /** Longest an ACK's reply waits for its operation's decision, from its arrival and with the signing of the replies held before it (OperationRun.replyGate); 0: answered at once. */
    replyHoldMs: z.number().min(0).default(DEFAULT_REPLY_HOLD_MS),
    /** Which ready time the result's arrival figures use; see README (arrival basis). */
    arrivalBasis: z.enum(['agent', 'lead']).default('agent'),
  })
  .strict();

export type ScatterOptionsInput = z.input<typeof ScatterOptions>;
export type ResolvedScatterOptions = Readonly<z.output<typeof ScatterOptions>>;

/** Throws on invalid settings: a bad config is an operator mistake caught at start-up. */
export function resolveScatterOptions(input: ScatterOptionsInput = {}): ResolvedScatterOptions {
  return Object.freeze(ScatterOptions.parse(input));
}
