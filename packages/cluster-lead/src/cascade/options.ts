/** Cascade settings: one schema, a named default per key. */
import { z } from 'zod';

/** A child lead reports its subtree to its parent this often (issue 4: every 5 s). */
export const SUMMARY_INTERVAL_MS = 5_000;
/** A child whose last summary is older than this many intervals is left out of cascades (stale). */
export const SUMMARY_STALE_INTERVALS = 3;
/** How long a SUMMARY, COORDINATE or report request waits for its reply. */
export const REQUEST_TIMEOUT_MS = 2_000;
/**
 * Time a child lead needs between receiving a cascade COORDINATE and its own hold message
 * leaving: verify, convert T, plan, sign. Added to the child hop when the parent picks T.
 */
export const CHILD_HANDLING_MS = 25;
/**
 * Margin on top of the slowest need when the cascade picks T (timer, planning and send-loop
 * slack). 20 ms was overrun by a loaded 2-core lead's own planning, and then every own agent was
 * skipped for lead time and the cascade failed; T 80 ms later costs a user nothing.
 */
export const CASCADE_SLACK_MS = 100;
/** After T + window, how long the parent waits for child reports before calling them missing. */
export const REPORT_GRACE_MS = 3_000;
/** A child's own scatter gathers for at most this long after T + window. */
export const CHILD_GATHER_MS = 2_000;
/** Summaries whose one-way time the parent keeps per child; it uses the smallest (least queued). */
export const HOP_SAMPLES = 8;
/** Verb whose lead time the summary's max_lead_time_ms is computed for. */
export const DEFAULT_SUMMARY_VERB = 'act' as const;

export const CascadeOptions = z
  .object({
    summaryIntervalMs: z.number().positive().default(SUMMARY_INTERVAL_MS),
    staleIntervals: z.number().positive().default(SUMMARY_STALE_INTERVALS),
    requestTimeoutMs: z.number().positive().default(REQUEST_TIMEOUT_MS),
    childHandlingMs: z.number().min(0).default(CHILD_HANDLING_MS),
    slackMs: z.number().min(0).default(CASCADE_SLACK_MS),
    reportGraceMs: z.number().min(0).default(REPORT_GRACE_MS),
    childGatherMs: z.number().min(0).default(CHILD_GATHER_MS),
    /** Send summaries on a timer (default); tests call sendSummary() instead. */
    timers: z.boolean().default(true),
  })
  .strict();

export type CascadeOptionsInput = z.input<typeof CascadeOptions>;
export type ResolvedCascadeOptions = Readonly<z.output<typeof CascadeOptions>>;

export function resolveCascadeOptions(input: CascadeOptionsInput = {}): ResolvedCascadeOptions {
  return Object.freeze(CascadeOptions.parse(input));
}
