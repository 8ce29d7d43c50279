import { MeshError, err, ok } from '../lib/errors.js';
import type { Result } from '../lib/errors.js';
import { RequestedReleaseMode } from '../protocol/enums.js';
import type { ReleaseMode } from '../protocol/enums.js';
import { checkBufferOptions, feasibleLeadTimeFor, invalidTimingField, leadTimeFor, leadTimeIn } from './lead-time.js';
import type { AgentTiming, BufferOptions, LeadTime } from './lead-time.js';

/** How much earlier than its slowest member a hold group is sent: one send bucket. */
export const DEFAULT_HOLD_MARGIN_MS = 10;
/** `auto` picks the first mode the agent supports: hold is the most precise, none the baseline. */
export const MODE_PREFERENCE: readonly ReleaseMode[] = Object.freeze(['hold', 'lead', 'none']);

export type SkipReason = 'insufficient_lead_time' | 'unsupported_mode' | 'invalid_timing';

export interface ScheduledSend extends LeadTime {
  status: 'SCHEDULED';
  agentId: string;
  mode: ReleaseMode;
  /** Mesh time to send at. Always >= now; <= T - leadTimeMs, except a held agent whose tail does not fit (sent now). */
  sendAt: number;
  confidence: number;
  /**
   * Mesh time the agent should be READY: T in hold mode (it waits for T); in lead and none
   * modes, when processing ends (sendAt + delay + processing), i.e. up to the buffer early.
   */
  expectedReadyAt: number;
}

export interface SkippedSend {
  status: 'SKIP';
  agentId: string;
  /** The mode that was tried; null when none applies (invalid timing, or `auto` with no mode). */
  mode: ReleaseMode | null;
  reason: SkipReason;
  /** Lead time the agent needs; null when its timing record is unusable. */
  wouldNeedMs: number | null;
  /** T - now. */
  availableMs: number;
}

export type ScheduleEntry = ScheduledSend | SkippedSend;

export interface SendScheduleInput {
  /** Target time T, mesh time. */
  targetMs: number;
  /** Current mesh time. */
  nowMs: number;
  mode: RequestedReleaseMode;
  agents: readonly AgentTiming[];
}

export interface SendScheduleOptions extends BufferOptions {
  holdMarginMs?: number;
}

export interface SendSchedule {
  targetMs: number;
  nowMs: number;
  /** The single send time of the hold group, or null when no agent is held. */
  holdSendAt: number | null;
  /** One entry per agent, in input order. */
  entries: ScheduleEntry[];
}

/** The mode an agent will run in, or undefined when it supports neither the requested mode nor any (auto). */
export function pickReleaseMode(requested: RequestedReleaseMode, supported: readonly ReleaseMode[]): ReleaseMode | undefined {
  if (requested === 'auto') return MODE_PREFERENCE.find((mode) => supported.includes(mode));
  return supported.includes(requested) ? requested : undefined;
}

interface Candidate {
  index: number;
  timing: AgentTiming;
  mode: ReleaseMode;
  lead: LeadTime;
  /** T - leadTimeMs: the latest send time that still makes T (for a held agent: its tail; may be past). */
  latest: number;
}

/**
 * Send time per agent for target T (spec 3.1, with release modes):
 * - lead: sendAt = T - leadTime, the median lead time (no buffer): processing ends around T.
 * - hold: one sendAt for the whole group, min(T - leadTime) - holdMargin but not before now;
 *   every member finishes early and waits for T on its own clock. Its lead time is sized from
 *   the tail (holdLeadTimeFor): the group leaves early enough for the slowest member's p99.9.
 * - none: sendAt = now for everyone (the baseline).
 * In every mode an agent whose T - leadTime is already past is skipped, so the baseline is run
 * over the same agents as the modes it is compared with. Refuses (Result) a non-finite T or
 * now, an unknown mode, duplicate agent ids, or bad options; a bad timing record only skips
 * that agent.
 */
export function computeSendSchedule(input: SendScheduleInput, options: SendScheduleOptions = {}): Result<SendSchedule> {
  const refusal = refuse(input, options);
  if (refusal) return err(refusal);
  const { targetMs, nowMs, mode } = input;
  const availableMs = targetMs - nowMs;
  const entries: (ScheduleEntry | undefined)[] = [];
  const candidates: Candidate[] = [];

  input.agents.forEach((timing, index) => {
    const skip = (reason: SkipReason, tried: ReleaseMode | null, wouldNeedMs: number | null): void => {
      entries[index] = { status: 'SKIP', agentId: timing.agentId, mode: tried, reason, wouldNeedMs, availableMs };
    };
    if (invalidTimingField(timing) !== undefined) return skip('invalid_timing', null, null);
    const chosen = pickReleaseMode(mode, timing.supportedModes);
    if (chosen === undefined) return skip('unsupported_mode', mode === 'auto' ? null : mode, leadTimeFor(timing, options).leadTimeMs);
    // Whether the agent can make T at all is judged on its expected lead time (lead mode: the
    // median one it is sent by); a held agent is then sent to as early as its tail asks, or now
    // when the tail does not fit.
    const basic = feasibleLeadTimeFor(chosen, timing, options);
    if (targetMs - basic.leadTimeMs < nowMs) return skip('insufficient_lead_time', chosen, basic.leadTimeMs);
    const lead = leadTimeIn(chosen, timing, options);
    candidates.push({ index, timing, mode: chosen, lead, latest: targetMs - lead.leadTimeMs });
  });

  const held = candidates.filter((c) => c.mode === 'hold');
  const holdMarginMs = options.holdMarginMs ?? DEFAULT_HOLD_MARGIN_MS;
  // Every candidate can make T at its expected lead time, so the group time clamped to now still
  // gives each the most room there is.
  // (A loop, not Math.min(...spread): a group can hold tens of thousands of agents.)
  let slowest = Infinity;
  for (const c of held) slowest = Math.min(slowest, c.latest);
  const holdSendAt = held.length > 0 ? Math.max(nowMs, slowest - holdMarginMs) : null;

  for (const c of candidates) {
    const sendAt = c.mode === 'lead' ? c.latest : c.mode === 'hold' ? (holdSendAt ?? nowMs) : nowMs;
    const processingEnds = sendAt + c.lead.oneWayDelayMs + c.lead.expectedProcessingMs;
    entries[c.index] = {
      status: 'SCHEDULED',
      agentId: c.timing.agentId,
      mode: c.mode,
      sendAt,
      ...c.lead,
      confidence: c.timing.confidence,
      expectedReadyAt: c.mode === 'hold' ? targetMs : processingEnds,
    };
  }
  return ok({ targetMs, nowMs, holdSendAt, entries: entries.filter((e): e is ScheduleEntry => e !== undefined) });
}

function refuse(input: SendScheduleInput, options: SendScheduleOptions): MeshError | undefined {
  const bad = (message: string, path: string) => new MeshError('INVALID_ARGUMENT', message, { path });
  if (!Number.isFinite(input.targetMs)) return bad('target time must be a finite number', 'targetMs');
  if (!Number.isFinite(input.nowMs)) return bad('now must be a finite number', 'nowMs');
  if (!RequestedReleaseMode.safeParse(input.mode).success) return bad(`unknown release mode ${String(input.mode)}`, 'mode');
  const option = checkBufferOptions(options);
  if (option !== undefined) return bad(`${option} must be a non-negative finite number`, option);
  const margin = options.holdMarginMs;
  if (margin !== undefined && !(Number.isFinite(margin) && margin >= 0)) {
    return bad('holdMarginMs must be a non-negative finite number', 'holdMarginMs');
  }
  const seen = new Set<string>();
  for (const [i, agent] of input.agents.entries()) {
    if (seen.has(agent.agentId)) return bad(`agent ${agent.agentId} is listed twice`, `agents.${i}.agentId`);
    seen.add(agent.agentId);
  }
  return undefined;
}

/** The SCHEDULED entries, e.g. to hand to bucketSends. */
export function scheduledSends(entries: readonly ScheduleEntry[]): ScheduledSend[] {
  return entries.filter((e): e is ScheduledSend => e.status === 'SCHEDULED');
}
