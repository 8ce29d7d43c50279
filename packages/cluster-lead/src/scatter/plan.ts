/**
 * From an operation to a send plan: who is skipped and why, T, each agent's send time (from
 * shared's schedule), the 10 ms buckets of per-agent sends, and the hold group's one send time.
 */
import {
  DEFAULT_SCHEDULING_SLACK_MS,
  bucketSends,
  chooseTargetTime,
  computeSendSchedule,
  invalidTimingField,
  pickReleaseMode,
  validateTargetTime,
} from '@mesh30k/shared';
import type { AgentTiming, ScheduleEntry, Selector, SendBucket, SkippedSend, TargetSetBy } from '@mesh30k/shared';
import type { ScatterRefusal } from './errors.js';
import { holdSelectors } from './hold-selector.js';
import type { ResolvedOperation } from './operation-request.js';
import type { ResolvedScatterOptions } from './options.js';
import type { ScatterRoutes, ScatterTargets, TargetAgent } from './ports.js';
import type { PlannedAgent, SkippedAgent } from './record.js';
import { checkEligibility } from './selection.js';

export interface HoldPlan {
  readonly sendAt: number;
  readonly agentIds: readonly string[];
  /** One COORDINATE per selector: the operation's own when it selects exactly the held agents. */
  readonly selectors: readonly Selector[];
  /** Agents enrolled with the lead but not in its registry when planned (they make the selectors id lists). */
  readonly unheard: number;
}

export interface Plan {
  readonly nowMs: number;
  readonly targetMs: number;
  readonly targetChoice: 'requested' | 'chosen';
  /** A chosen T: the agent whose lead time (in its mode; the tail in hold mode) sized it. */
  readonly targetSetBy: TargetSetBy | null;
  readonly capped: boolean;
  readonly selected: readonly TargetAgent[];
  readonly planned: readonly PlannedAgent[];
  readonly skipped: readonly SkippedAgent[];
  /** Lead- and none-mode agents, one timer each bucket. */
  readonly buckets: readonly SendBucket[];
  readonly hold: HoldPlan | null;
}

export interface PlanDeps {
  readonly targets: ScatterTargets;
  readonly routes: ScatterRoutes;
  readonly options: ResolvedScatterOptions;
  /** The lead's own expected lag from choosing T to the first send for this many agents (send-lag.ts); added to a chosen T. */
  readonly sendLagMs?: (agents: number) => number;
}

export type PlanOutcome = { ok: true; value: Plan } | { ok: false; error: ScatterRefusal };

export function planOperation(op: ResolvedOperation, nowMs: number, deps: PlanDeps): PlanOutcome {
  const selected = uniqueById(deps.targets.select(op.targets));
  const eligible = checkEligibility(selected, op, deps);
  const slackMs = DEFAULT_SCHEDULING_SLACK_MS + (deps.sendLagMs?.(eligible.timings.length) ?? 0);
  const target = pickTarget(op, nowMs, eligible.timings, slackMs);
  if (!target.ok) return target;
  const { targetMs } = target.value;
  const schedule = computeSendSchedule(
    { targetMs, nowMs, mode: op.releaseMode, agents: eligible.timings },
    { holdMarginMs: deps.options.holdMarginMs },
  );
  if (!schedule.ok) {
    return { ok: false, error: { code: 'INVALID_TARGET_TIME', reason: schedule.error.message, path: schedule.error.path ?? 'targetTime' } };
  }
  const availableMs = targetMs - nowMs;
  const timingById = new Map(eligible.timings.map((t) => [t.agentId, t]));
  const planned: PlannedAgent[] = [];
  const skipped: SkippedAgent[] = eligible.skipped.map((s) => ({ ...s, availableMs }));
  for (const entry of schedule.value.entries) {
    if (entry.status === 'SKIP') skipped.push(describeSkip(entry, timingById.get(entry.agentId), op));
    else planned.push(toPlanned(entry));
  }
  const perAgent = planned.filter((p) => p.mode !== 'hold');
  const held = planned.filter((p) => p.mode === 'hold').map((p) => p.agentId);
  const holdSendAt = schedule.value.holdSendAt;
  const unheard = holdSendAt === null || held.length === 0 ? 0 : (deps.targets.unheard?.(op.targets) ?? 0);
  return {
    ok: true,
    value: {
      nowMs,
      targetMs,
      targetChoice: target.value.choice,
      targetSetBy: target.value.setBy ?? null,
      capped: target.value.capped,
      selected,
      planned,
      skipped,
      buckets: bucketSends(perAgent, deps.options.bucketMs),
      hold:
        holdSendAt === null || held.length === 0
          ? null
          : { sendAt: holdSendAt, agentIds: held, selectors: holdSelectors(op.targets, selected, held, unheard), unheard },
    },
  };
}

type TargetPick = { ok: true; value: { targetMs: number; choice: 'requested' | 'chosen'; capped: boolean; setBy?: TargetSetBy } } | { ok: false; error: ScatterRefusal };

function pickTarget(op: ResolvedOperation, nowMs: number, timings: readonly AgentTiming[], schedulingSlackMs: number): TargetPick {
  if (op.targetTime !== undefined) {
    const checked = validateTargetTime({ targetMs: op.targetTime, nowMs, agents: timings }, { mode: op.releaseMode });
    if (!checked.ok) return { ok: false, error: { code: 'INVALID_TARGET_TIME', reason: checked.error.message, path: 'targetTime' } };
    if (op.targetTime + op.arrivalWindowMs > nowMs + op.timeoutMs) {
      const reason = `T + arrival window is ${(op.targetTime + op.arrivalWindowMs - nowMs).toFixed(0)} ms away, beyond the ${op.timeoutMs} ms timeout`;
      return { ok: false, error: { code: 'INVALID_TARGET_TIME', reason, path: 'targetTime' } };
    }
    return { ok: true, value: { targetMs: op.targetTime, choice: 'requested', capped: false } };
  }
  // Only agents that can run in the requested mode count towards T.
  const usable = timings.filter((t) => pickReleaseMode(op.releaseMode, t.supportedModes) !== undefined);
  const chosen = chooseTargetTime({ nowMs, agents: usable }, { arrivalWindowMs: op.leadHorizonMs, mode: op.releaseMode, schedulingSlackMs });
  if (!chosen.ok) return { ok: false, error: { code: 'INVALID_TARGET_TIME', reason: chosen.error.message, path: 'leadHorizonMs' } };
  const { setBy } = chosen.value;
  return { ok: true, value: { targetMs: chosen.value.targetMs, choice: 'chosen', capped: chosen.value.capped, ...(setBy === undefined ? {} : { setBy }) } };
}

function toPlanned(entry: Extract<ScheduleEntry, { status: 'SCHEDULED' }>): PlannedAgent {
  return {
    agentId: entry.agentId,
    mode: entry.mode,
    sendAt: entry.sendAt,
    leadTimeMs: entry.leadTimeMs,
    oneWayDelayMs: entry.oneWayDelayMs,
    expectedProcessingMs: entry.expectedProcessingMs,
    bufferMs: entry.bufferMs,
    confidence: entry.confidence,
    expectedReadyAt: entry.expectedReadyAt,
  };
}

function describeSkip(entry: SkippedSend, timing: AgentTiming | undefined, op: ResolvedOperation): SkippedAgent {
  const base = { agentId: entry.agentId, reason: entry.reason, mode: entry.mode, wouldNeedMs: entry.wouldNeedMs, availableMs: entry.availableMs };
  switch (entry.reason) {
    case 'insufficient_lead_time':
      return { ...base, detail: `needs ${fmt(entry.wouldNeedMs)} ms of lead time, ${fmt(entry.availableMs)} ms left before T` };
    case 'unsupported_mode': {
      const modes = timing?.supportedModes.join(', ') || 'no release mode';
      return { ...base, detail: `supports ${modes}; ${op.releaseMode} requested` };
    }
    case 'invalid_timing': {
      const field = timing === undefined ? 'record' : (invalidTimingField(timing) ?? 'record');
      return { ...base, detail: `timing record has an unusable ${field}` };
    }
  }
}

/** A registry that lists an agent twice must not make it scheduled twice. */
function uniqueById(agents: readonly TargetAgent[]): TargetAgent[] {
  const seen = new Set<string>();
  return agents.filter((a) => !seen.has(a.agentId) && seen.add(a.agentId) !== undefined);
}

function fmt(ms: number | null): string {
  return ms === null ? '?' : ms.toFixed(1);
}
