import { MeshError, err, ok } from '../lib/errors.js';
import type { Result } from '../lib/errors.js';
import { RequestedReleaseMode } from '../protocol/enums.js';
import { checkBufferOptions, feasibleLeadTimeFor, invalidTimingField, leadTimeIn } from './lead-time.js';
import type { AgentTiming, BufferOptions, LeadTime } from './lead-time.js';
import { pickReleaseMode } from './send-schedule.js';

/** The spec's arrival window (3.2): an as-soon-as-possible T is at most this far ahead. */
export const DEFAULT_ARRIVAL_WINDOW_MS = 500;
/** Time between choosing T and the first send leaving the lead (signing, the send loop). */
export const DEFAULT_SCHEDULING_SLACK_MS = 5;
/** A requested T further ahead than this is a mistake, not a plan. */
export const DEFAULT_MAX_HORIZON_MS = 24 * 60 * 60 * 1000;

export interface TargetTimeOptions extends BufferOptions {
  arrivalWindowMs?: number;
  schedulingSlackMs?: number;
  /**
   * Share of agents T must leave enough lead time for, (0, 1]. 1 waits for the slowest;
   * 0.95 is the spec's "95th percentile", leaving the slowest 5 % to be skipped.
   */
  coverage?: number;
  maxHorizonMs?: number;
  /** The release mode asked for: each agent's lead time is the one of the mode it will run in (hold: the tail). Default lead. */
  mode?: RequestedReleaseMode;
}

/** Why T is where it is: the agent whose lead time set it, and that lead time's parts. */
export interface TargetSetBy {
  agentId: string;
  mode: string;
  lead: LeadTime;
}

export interface TargetTime {
  targetMs: number;
  /** T - now. */
  availableMs: number;
  /** Lead time the covered share of agents needs (0 with no usable agents). */
  requiredLeadMs: number;
  /** True when the arrival window cut T short of requiredLeadMs + slack. */
  capped: boolean;
  /** Agents that will be skipped for lack of lead time (or an unusable timing record). */
  lateAgentIds: string[];
  /** The agent whose lead time T was sized for (chosen T only; absent with no usable agent). */
  setBy?: TargetSetBy;
}

interface AgentLead {
  agentId: string;
  /** The expected lead time: whether the agent can make T at all (the scheduler's skip test). */
  leadMs: number | undefined;
  /** The lead time of the mode it will run in (hold: the tail): what a chosen T is sized for. */
  lead?: LeadTime;
  mode?: string;
}

type UsableLead = AgentLead & { leadMs: number; lead: LeadTime; mode: string };

/** Agents' lead times, expected and in the mode each will run in, ignoring unusable records. */
function leadTimes(agents: readonly AgentTiming[], options: TargetTimeOptions): AgentLead[] {
  return agents.map((a) => {
    if (invalidTimingField(a) !== undefined) return { agentId: a.agentId, leadMs: undefined };
    const mode = pickReleaseMode(options.mode ?? 'lead', a.supportedModes) ?? 'lead';
    return { agentId: a.agentId, leadMs: feasibleLeadTimeFor(mode, a, options).leadTimeMs, lead: leadTimeIn(mode, a, options), mode };
  });
}

/** Same test as the scheduler's (T - lead < now), so both agree to the last bit. */
function lateAgents(leads: readonly { agentId: string; leadMs: number | undefined }[], targetMs: number, nowMs: number): string[] {
  return leads.filter((l) => l.leadMs === undefined || targetMs - l.leadMs < nowMs).map((l) => l.agentId);
}

/**
 * T for an as-soon-as-possible operation: now + the lead time of the slowest covered agent
 * + scheduling slack, but no later than now + arrival window.
 */
export function chooseTargetTime(
  input: { nowMs: number; agents: readonly AgentTiming[] },
  options: TargetTimeOptions = {},
): Result<TargetTime> {
  const refusal = refuseOptions(options) ?? (Number.isFinite(input.nowMs) ? undefined : bad('now must be finite', 'nowMs'));
  if (refusal) return err(refusal);
  const window = options.arrivalWindowMs ?? DEFAULT_ARRIVAL_WINDOW_MS;
  const slack = options.schedulingSlackMs ?? DEFAULT_SCHEDULING_SLACK_MS;
  const coverage = options.coverage ?? 1;
  const leads = leadTimes(input.agents, options);
  const usable = leads.filter((l): l is UsableLead => l.leadMs !== undefined && l.lead !== undefined).sort((a, b) => a.lead.leadTimeMs - b.lead.leadTimeMs);
  const binding = usable.length === 0 ? undefined : usable[Math.max(0, Math.ceil(coverage * usable.length) - 1)];
  const requiredLeadMs = binding?.lead.leadTimeMs ?? 0;
  const wanted = requiredLeadMs + slack;
  const capped = wanted > window;
  let targetMs = input.nowMs + Math.min(wanted, window);
  // At epoch scale (now + lead) - lead can round to just below now; step T up by an ulp or two.
  for (let i = 0; !capped && i < 4 && targetMs - requiredLeadMs < input.nowMs; i += 1) {
    targetMs += Math.max(Number.MIN_VALUE, Math.abs(targetMs) * Number.EPSILON);
  }
  return ok({
    targetMs,
    availableMs: targetMs - input.nowMs,
    requiredLeadMs,
    capped,
    lateAgentIds: lateAgents(leads, targetMs, input.nowMs),
    ...(binding === undefined ? {} : { setBy: { agentId: binding.agentId, mode: binding.mode, lead: binding.lead } }),
  });
}

/** Checks an operator-requested T: finite, not past, within the horizon; lists who cannot make it. */
export function validateTargetTime(
  input: { targetMs: number; nowMs: number; agents: readonly AgentTiming[] },
  options: TargetTimeOptions = {},
): Result<TargetTime> {
  const refusal = refuseOptions(options);
  if (refusal) return err(refusal);
  const { targetMs, nowMs } = input;
  if (!Number.isFinite(nowMs)) return err(bad('now must be finite', 'nowMs'));
  if (!Number.isFinite(targetMs)) return err(bad('target time must be finite', 'targetMs'));
  if (targetMs < nowMs) return err(bad(`target time is ${nowMs - targetMs} ms in the past`, 'targetMs'));
  const horizon = options.maxHorizonMs ?? DEFAULT_MAX_HORIZON_MS;
  if (targetMs - nowMs > horizon) return err(bad(`target time is more than ${horizon} ms ahead`, 'targetMs'));
  const leads = leadTimes(input.agents, options);
  const usable = leads.flatMap((l) => (l.leadMs === undefined ? [] : [l.leadMs]));
  const availableMs = targetMs - nowMs;
  return ok({
    targetMs,
    availableMs,
    requiredLeadMs: usable.reduce((a, b) => Math.max(a, b), 0),
    capped: false,
    lateAgentIds: lateAgents(leads, targetMs, nowMs),
  });
}

function bad(message: string, path: string): MeshError {
  return new MeshError('INVALID_ARGUMENT', message, { path });
}

function refuseOptions(options: TargetTimeOptions): MeshError | undefined {
  const buffer = checkBufferOptions(options);
  if (buffer !== undefined) return bad(`${buffer} must be a non-negative finite number`, buffer);
  const { arrivalWindowMs, schedulingSlackMs, coverage, maxHorizonMs } = options;
  for (const [key, value] of Object.entries({ arrivalWindowMs, schedulingSlackMs, maxHorizonMs })) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) return bad(`${key} must be a non-negative finite number`, key);
  }
  if (coverage !== undefined && !(coverage > 0 && coverage <= 1)) return bad('coverage must be in (0, 1]', 'coverage');
  if (options.mode !== undefined && !RequestedReleaseMode.safeParse(options.mode).success) return bad(`unknown release mode ${String(options.mode)}`, 'mode');
  return undefined;
}
