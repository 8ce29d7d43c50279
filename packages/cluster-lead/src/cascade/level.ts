/**
 * One cascade phase at one lead: pick T (or take the parent's, converted), forward a signed
 * COORDINATE to each child lead, run this lead's own scatter with the same T, gather the
 * children's reports and add everything up. The root runs it for cascade(); a child runs it
 * when its parent's COORDINATE arrives.
 */
import { PROTOCOL_VERSION, READY, encodeMessage, newMessageId, payloadHash, subjects } from '@mesh30k/shared';
import type { Ack, AgentClass, Clock, Coordinate, Ed25519, KeyResolver, RequestedReleaseMode, Selector, Verb, Priority } from '@mesh30k/shared';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { ScatterRefusal } from '../scatter/errors.js';
import type { ScatterResult } from '../scatter/record.js';
import type { ChildLeadTable, ChildLeadView } from './child-table.js';
import { EMPTY_SKETCH, figuresOf, mergeSketches, sketchOf } from './distribution.js';
import type { ArrivalSketch } from './distribution.js';
import { CASCADE_EVENTS } from './events.js';
import type { ResolvedCascadeOptions } from './options.js';
import type { CascadeIdentity, RunScatter, SubtreeSource } from './ports.js';
import type { ReportWaiters } from './reports.js';
import type { CascadePhaseResult, ChildOutcome, OwnOutcome } from './request.js';
import type { CascadeStrategy, PhaseThresholds } from './strategies.js';
import { maxOwnLeadTimeMs } from './summary.js';
import { ChildReport, ZERO_COUNTS, addCounts, frameHeaders, readCascadeReply } from './wire.js';
import type { CascadeEnvelope, PhaseStatus, SubtreeCounts } from './wire.js';

/** A COORDINATE stays actionable this long past T + window. */
const COORDINATE_TTL_SLACK_MS = 5_000;
const MAX_TTL_MS = 86_400_000;

export interface LevelDeps {
  readonly clock: Clock;
  readonly identity: CascadeIdentity;
  readonly connection: NatsConnection;
  /** Checks the child leads' signed confirmations. */
  readonly ed25519: Ed25519;
  readonly resolveChildKey: KeyResolver;
  readonly runScatter: RunScatter;
  readonly subtree: SubtreeSource;
  readonly table: ChildLeadTable;
  readonly reports: ReportWaiters;
  readonly options: ResolvedCascadeOptions;
  readonly logger: Logger;
}

export interface LevelPlan {
  readonly operationId: string;
  readonly agentClass: AgentClass | null;
  readonly strategy: CascadeStrategy;
  readonly thresholds: PhaseThresholds;
  readonly verb: Verb;
  readonly payload: unknown;
  readonly payloadWeight: number;
  readonly targets: Selector;
  readonly agentReleaseMode: RequestedReleaseMode;
  readonly arrivalWindowMs: number;
  readonly priority: Priority;
  readonly agentCapabilities: readonly string[];
  /** This lead's mesh time; absent at the root when T is to be chosen. */
  readonly targetTime: number | undefined;
  /** Levels below the root: 0 at the root. */
  readonly depth: number;
  readonly gatherMs: number;
}

export interface LevelRun {
  /** This lead's own scatter admitted (or not needed); a child answers its parent's COORDINATE then. */
  readonly admitted: Promise<OwnOutcome['admission'] | 'none' | 'not_sent'>;
  readonly done: Promise<CascadePhaseResult>;
}

interface Confirmation {
  readonly child: ChildLeadView;
  readonly ok: boolean;
  readonly reason: string | null;
  readonly rttMs: number | null;
  readonly admission: string | null;
  readonly targetTimeLocal: number | null;
  readonly unreachable: boolean;
}

/** Why a child lead is left out of a phase, or null when it takes part. */
export function childSkipReason(child: ChildLeadView, plan: Pick<LevelPlan, 'targets' | 'agentCapabilities'>): string | null {
  if (child.liveness === 'stale') return 'stale: no summary for too long';
  if (child.summary.frozen) return 'frozen';
  if (child.summary.agent_count === 0) return 'no agents';
  const caps = new Set(child.summary.capabilities);
  const wanted = [...plan.agentCapabilities, ...(plan.targets.capability === undefined ? [] : [plan.targets.capability])];
  const missing = wanted.filter((c) => !caps.has(c));
  return missing.length > 0 ? `capability_mismatch: no agent with ${missing.join(', ')}` : null;
}

/** Lead time the phase needs: the slowest own agent, or the slowest child plus its reach. */
export function neededLeadMs(ownLeadMs: number, children: readonly ChildLeadView[], handlingMs: number, childrenFirst: boolean): number {
  let childNeed = 0;
  let confirmTrip = 0;
  for (const c of children) {
    childNeed = Math.max(childNeed, c.summary.max_lead_time_ms + c.hopMs + handlingMs);
    confirmTrip = Math.max(confirmTrip, 2 * c.hopMs + handlingMs);
  }
  // wave: own agents are sent to only after every child confirmed.
  const ownNeed = ownLeadMs === 0 ? 0 : ownLeadMs + (childrenFirst ? confirmTrip : 0);
  return Math.max(ownNeed, childNeed);
}

export function runLevel(deps: LevelDeps, plan: LevelPlan): LevelRun {
  let admit: (value: Awaited<LevelRun['admitted']>) => void = () => undefined;
  const admitted = new Promise<Awaited<LevelRun['admitted']>>((resolve) => (admit = resolve));
  const done = execute(deps, plan, (a) => admit(a)).finally(() => admit('not_sent'));
  return { admitted, done };
}

async function execute(deps: LevelDeps, plan: LevelPlan, admit: (a: Awaited<LevelRun['admitted']>) => void): Promise<CascadePhaseResult> {
  const { clock, options, table } = deps;
  const log = deps.logger.child({ operation_id: plan.operationId });
  const startedAt = clock.now();
  const everyone = table.all(startedAt);
  const skipped: ChildOutcome[] = [];
  const chosen: ChildLeadView[] = [];
  for (const child of everyone) {
    const reason = childSkipReason(child, plan);
    if (reason === null) chosen.push(child);
    else skipped.push(emptyChild(child, 'skipped', reason));
  }
  const ownAgents = deps.subtree.targets.select(plan.targets).length;
  const ownLead = ownAgents === 0 ? 0 : maxOwnLeadTimeMs(deps.subtree.targets, plan.targets, plan.verb, plan.payloadWeight);
  const needed = neededLeadMs(ownLead, chosen, options.childHandlingMs, plan.thresholds.childrenFirst);
  const targetTime = plan.targetTime ?? startedAt + needed + options.slackMs;
  const targetChoice = plan.targetTime === undefined ? 'chosen' : 'requested';
  const reportDeadline = targetTime + plan.arrivalWindowMs + plan.gatherMs + options.reportGraceMs;

  // Children first: their reports are awaited from before the COORDINATE leaves.
  const reportFor = new Map(chosen.map((c) => [c.leadId, deps.reports.expect(plan.operationId, c.leadId, reportDeadline)]));
  const confirmations = chosen.length === 0 ? Promise.resolve([]) : forward(deps, plan, chosen, targetTime, startedAt);
  log.info({ event: CASCADE_EVENTS.phaseStarted, target_time: targetTime, children: chosen.length, own_agents: ownAgents, needed_ms: needed }, 'cascade phase started');

  let failedAtSector = false;
  let own: Promise<OwnOutcome>;
  const ownScatter = (): Promise<OwnOutcome> => (ownAgents === 0 ? Promise.resolve(noOwn('NONE')) : runOwn(deps, plan, targetTime, admit));
  if (plan.thresholds.childrenFirst) {
    const confirmed = await confirmations;
    const rate = confirmed.length === 0 ? 1 : confirmed.filter((c) => c.ok).length / confirmed.length;
    failedAtSector = rate < plan.thresholds.leadConfirmRate;
    if (failedAtSector) log.warn({ event: CASCADE_EVENTS.failedAtSector, confirm_rate: rate, threshold: plan.thresholds.leadConfirmRate }, 'child leads did not confirm; own agents not sent to');
    own = failedAtSector ? Promise.resolve(noOwn('NOT_SENT')) : ownScatter();
  } else {
    own = ownScatter();
  }
  if (ownAgents === 0 || failedAtSector) admit(failedAtSector ? 'not_sent' : 'none');

  const confirmed = await confirmations;
  const children = await Promise.all(
    confirmed.map(async (c): Promise<ChildOutcome> => {
      const waiting = reportFor.get(c.child.leadId)!;
      if (!c.ok) return { ...emptyChild(c.child, c.unreachable ? 'unreachable' : 'refused', c.reason), confirmRttMs: c.rttMs };
      return childOutcome(c, await waiting, log);
    }),
  );
  const ownOutcome = await own;
  return aggregate(plan, { targetTime, targetChoice, needed, startedAt, decidedAt: clock.now(), own: ownOutcome, children: [...children, ...skipped], failedAtSector, sentLeads: chosen.length });
}

async function forward(deps: LevelDeps, plan: LevelPlan, children: readonly ChildLeadView[], targetTime: number, now: number): Promise<Confirmation[]> {
  const envelope: CascadeEnvelope = {
    cascade: {
      cascade_id: plan.operationId,
      strategy: plan.strategy,
      lead_confirm_rate: plan.thresholds.leadConfirmRate,
      agent_ready_rate: plan.thresholds.agentReadyRate,
      children_first: plan.thresholds.childrenFirst,
      agent_release_mode: plan.agentReleaseMode,
      gather_ms: plan.gatherMs,
      depth: plan.depth + 1,
      agent_capabilities: [...plan.agentCapabilities],
    },
    payload: plan.payload,
  };
  const ttl = Math.min(MAX_TTL_MS, Math.max(0, targetTime + plan.arrivalWindowMs - now) + COORDINATE_TTL_SLACK_MS);
  const coordinate: Coordinate = {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(now),
    sender_id: deps.identity.leadId,
    created_at: now,
    ttl_ms: Math.ceil(ttl),
    kind: 'COORDINATE',
    operation_id: plan.operationId,
    verb: plan.verb,
    payload: envelope,
    payload_hash: await payloadHash(envelope),
    payload_weight: plan.payloadWeight,
    target_time: targetTime,
    release_mode: 'hold',
    arrival_window_ms: plan.arrivalWindowMs,
    priority: plan.priority,
    requires_capabilities: [],
    selector: plan.targets,
    routing_strategy: 'scatter-gather',
    trinary_expectation: READY,
  };
  // One signed frame for every child: each converts T with its own offset to this lead.
  const frame = await encodeMessage(coordinate, deps.identity.signer, deps.identity.leadId);
  return Promise.all(
    children.map(async (child): Promise<Confirmation> => {
      const sentAt = deps.clock.now();
      try {
        const reply = await deps.connection.request(subjects.summary(child.leadId), frame.body, { headers: frameHeaders(frame), timeout: deps.options.requestTimeoutMs });
        const rttMs = deps.clock.now() - sentAt;
        deps.table.noteCoordinateRtt(child.leadId, rttMs);
        const answer = await readCascadeReply(reply, { ed25519: deps.ed25519, resolveKey: deps.resolveChildKey, peerId: child.leadId, selfId: deps.identity.leadId, requestId: coordinate.message_id });
        if (!answer.ok) return { child, ok: false, reason: `${answer.code}: ${answer.message}`, rttMs, admission: null, targetTimeLocal: null, unreachable: false };
        return { child, ok: true, reason: null, rttMs, admission: answer.admission ?? null, targetTimeLocal: answer.target_time_local ?? null, unreachable: false };
      } catch (error) {
        return { child, ok: false, reason: error instanceof Error ? error.message : String(error), rttMs: null, admission: null, targetTimeLocal: null, unreachable: true };
      }
    }),
  );
}

async function runOwn(deps: LevelDeps, plan: LevelPlan, targetTime: number, admit: (a: OwnOutcome['admission']) => void): Promise<OwnOutcome> {
  const now = deps.clock.now();
  let handle;
  try {
    handle = await deps.runScatter({
      operationId: plan.operationId,
      verb: plan.verb,
      payload: plan.payload,
      payloadWeight: plan.payloadWeight,
      targets: plan.targets,
      releaseMode: plan.agentReleaseMode,
      arrivalWindowMs: plan.arrivalWindowMs,
      minResponseRate: plan.thresholds.agentReadyRate,
      // From now to T, the window, and the gathering after it.
      timeoutMs: Math.max(1, targetTime - now) + plan.arrivalWindowMs + plan.gatherMs,
      priority: plan.priority,
      targetTime,
      requiresCapabilities: [...plan.agentCapabilities],
      automated: false,
    });
  } catch (error) {
    admit('refused');
    const refusal: ScatterRefusal = { code: 'INVALID_OPERATION', reason: `scatter threw: ${error instanceof Error ? error.message : String(error)}` };
    return { status: 'REFUSED', admission: 'refused', result: null, refusal };
  }
  admit(handle.admission);
  const outcome = await handle.outcome;
  if (outcome.status === 'refused') return { status: 'REFUSED', admission: handle.admission, result: null, refusal: outcome.refusal };
  // An own operation FAILED_OVER (taken over by another lead) did not complete here: partial.
  return { status: outcome.result.status === 'FAILED_OVER' ? 'PARTIAL' : outcome.result.status, admission: handle.admission, result: outcome.result, refusal: null };
}

function noOwn(status: 'NONE' | 'NOT_SENT'): OwnOutcome {
  return { status, admission: null, result: null, refusal: null };
}

function emptyChild(child: ChildLeadView, state: ChildOutcome['state'], reason: string | null): ChildOutcome {
  return {
    leadId: child.leadId,
    state,
    reason,
    hopMs: child.hopMs,
    confirmRttMs: null,
    admission: null,
    targetTimeLocal: null,
    offsetToParentMs: null,
    status: null,
    counts: ZERO_COUNTS,
    arrival: figuresOf(EMPTY_SKETCH),
    report: null,
  };
}

function childOutcome(c: Confirmation, ack: Ack | null, log: Logger): ChildOutcome {
  const base = { ...emptyChild(c.child, 'no_report', 'no report by the deadline'), confirmRttMs: c.rttMs, admission: c.admission, targetTimeLocal: c.targetTimeLocal };
  if (ack === null) return base;
  const parsed = ChildReport.safeParse(ack.result);
  if (!parsed.success) {
    log.warn({ event: CASCADE_EVENTS.badReport, child_id: c.child.leadId, problem: parsed.error.issues[0]?.message }, 'child report unreadable');
    return { ...base, reason: 'report unreadable' };
  }
  const report = parsed.data;
  return {
    ...base,
    state: 'reported',
    reason: report.status === 'REFUSED' ? (report.own?.refusal?.reason ?? 'refused') : null,
    targetTimeLocal: report.target_time_local,
    offsetToParentMs: report.offset_to_parent_ms,
    status: report.status,
    counts: report.counts,
    arrival: figuresOf(report.arrival),
    report,
  };
}

interface Gathered {
  readonly targetTime: number;
  readonly targetChoice: 'requested' | 'chosen';
  readonly needed: number;
  readonly startedAt: number;
  readonly decidedAt: number;
  readonly own: OwnOutcome;
  readonly children: readonly ChildOutcome[];
  readonly failedAtSector: boolean;
  readonly sentLeads: number;
}

export function ownSketch(result: ScatterResult | null): ArrivalSketch {
  if (result === null) return EMPTY_SKETCH;
  const errors = result.responders.filter((a) => a.outcome === 'ready').map((a) => a.arrivalErrorMs);
  return sketchOf(errors, result.arrival.windowMs);
}

function aggregate(plan: LevelPlan, g: Gathered): CascadePhaseResult {
  let counts: SubtreeCounts = g.own.result === null ? ZERO_COUNTS : { ...g.own.result.counts };
  const sketches: ArrivalSketch[] = [ownSketch(g.own.result)];
  for (const c of g.children) {
    counts = addCounts(counts, c.counts);
    if (c.report !== null) sketches.push(c.report.arrival);
  }
  const sketch = mergeSketches(sketches);
  const confirmed = g.children.filter((c) => c.state === 'reported' || c.state === 'no_report').length;
  const reported = g.children.filter((c) => c.state === 'reported').length;
  const leads = { sent: g.sentLeads, confirmed, reported };
  return {
    operationId: plan.operationId,
    agentClass: plan.agentClass,
    status: phaseStatus(plan.thresholds, g, counts, leads),
    thresholds: plan.thresholds,
    targetTime: g.targetTime,
    targetChoice: g.targetChoice,
    neededLeadMs: g.needed,
    own: g.own,
    children: g.children,
    leads,
    counts,
    arrival: figuresOf(sketch),
    sketch,
    startedAt: g.startedAt,
    decidedAt: g.decidedAt,
  };
}

function phaseStatus(t: PhaseThresholds, g: Gathered, counts: SubtreeCounts, leads: { sent: number; reported: number }): PhaseStatus {
  if (g.failedAtSector) return 'FAILED_AT_SECTOR';
  if (g.own.status === 'REFUSED' && leads.sent === 0) return 'REFUSED';
  if (counts.sent === 0) return counts.selected === 0 && g.own.status !== 'REFUSED' ? 'EMPTY' : 'PARTIAL';
  const leadRate = leads.sent === 0 ? 1 : leads.reported / leads.sent;
  const readyRate = counts.ready / counts.sent;
  return readyRate >= t.agentReadyRate && leadRate >= t.leadConfirmRate && g.own.status !== 'REFUSED' ? 'SUCCESS' : 'PARTIAL';
}
