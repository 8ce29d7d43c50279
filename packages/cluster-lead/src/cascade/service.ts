/**
 * The cascade service of one lead: it serves subjects.summary(thisLead) (summaries and
 * reports from child leads, cascade COORDINATEs from the parent), keeps the child-lead table,
 * reports to the parent when there is one, and runs cascades started here.
 */
import { PROTOCOL_VERSION, encodeMessage, err, isKind, newMessageId, payloadHash, subjects, verifyAndParse } from '@mesh30k/shared';
import type { Ack, Coordinate, HeartbeatReply, IncomingFrame, KeyResolver, OffsetReport, Summary } from '@mesh30k/shared';
import { ReplayGuard } from '@mesh30k/shared';
import type { Msg, Subscription } from 'nats';
import { ChildLeadTable } from './child-table.js';
import type { ChildLeadView } from './child-table.js';
import { figuresOf, mergeSketches } from './distribution.js';
import { CASCADE_EVENTS } from './events.js';
import { runLevel } from './level.js';
import type { LevelDeps, LevelPlan } from './level.js';
import { DEFAULT_SUMMARY_VERB, resolveCascadeOptions } from './options.js';
import type { CascadeOptionsInput, ResolvedCascadeOptions } from './options.js';
import { ParentLink } from './parent-link.js';
import type { SummaryExchange } from './parent-link.js';
import type { CascadeDeps } from './ports.js';
import { ReportWaiters } from './reports.js';
import { CascadeRequest } from './request.js';
import type { CascadePhaseResult, CascadeRequestInput, CascadeResult } from './request.js';
import { PRIORITY_ORDER, thresholdsFor } from './strategies.js';
import { subtreeFigures } from './summary.js';
import type { SubtreeFigures } from './summary.js';
import { answer, type Answered, type ReplySigner, type Verdict } from '../nats/replies.js';
import { CascadeEnvelope, MAX_REPORTED_CHILDREN, ZERO_COUNTS, addCounts, frameHeaders, incomingFrame, readCascadeReply } from './wire.js';
import type { ChildReport } from './wire.js';

export interface CascadeStats {
  readonly summariesTaken: number;
  readonly summariesRefused: number;
  readonly reportsTaken: number;
  readonly framesRefused: Readonly<Record<string, number>>;
  readonly coordinatesTaken: number;
  readonly reportsSent: number;
  readonly reportsFailed: number;
}

export interface CascadeService {
  /** Subscribes to subjects.summary(leadId) and, with a parent, starts the summary timer. */
  start(): void;
  /** Unsubscribes, stops the timer; phases still waiting for reports see them missing. */
  stop(): void;
  /** Runs a cascade from this lead over its whole subtree. Throws (TypeError) on an invalid request. */
  cascade(request: CascadeRequestInput): Promise<CascadeResult>;
  /** One summary and clock exchange with the parent now (tests, and an operator's nudge). */
  sendSummary(): Promise<SummaryExchange>;
  /** The child-lead table. */
  children(): ChildLeadView[];
  /** This lead's subtree as its summary describes it. */
  figures(): SubtreeFigures;
  /** Parent minus this lead's clock, or null without a parent or before the first exchange. */
  parentOffset(): OffsetReport | null;
  stats(): CascadeStats;
}

type Refusal = { code: string; message: string };

export function createCascadeService(deps: CascadeDeps, optionsInput: CascadeOptionsInput = {}): CascadeService {
  const options: ResolvedCascadeOptions = resolveCascadeOptions(optionsInput);
  const { clock, identity, connection, logger } = deps;
  const log = logger.child({ domain: 'cascade' });
  const table = new ChildLeadTable(options.summaryIntervalMs * options.staleIntervals, deps.childStore);
  const reports = new ReportWaiters(clock);
  const childReplay = new ReplayGuard({ clock });
  const counters = { summariesTaken: 0, summariesRefused: 0, reportsTaken: 0, coordinatesTaken: 0, reportsSent: 0, reportsFailed: 0 };
  const framesRefused: Record<string, number> = {};
  const replies: ReplySigner = { leadId: identity.leadId, signer: identity.signer, clock };

  const figures = (): SubtreeFigures =>
    subtreeFigures(
      deps.subtree,
      table.live(clock.now()).map((c) => ({ summary: c.summary, reachMs: c.hopMs + options.childHandlingMs })),
      DEFAULT_SUMMARY_VERB,
    );

  const parent =
    deps.parent === undefined
      ? undefined
      : new ParentLink({
          clock,
          identity,
          parent: deps.parent,
          connection,
          ed25519: deps.ed25519,
          options,
          logger: log,
          figures,
          mode: () => deps.subtree.mode(),
          frozen: () => deps.subtree.frozen(),
        });

  const resolveChild: KeyResolver = (signerId) => {
    if (deps.isChildLead !== undefined && !deps.isChildLead(signerId)) return err({ code: 'NOT_ENROLLED', message: `"${signerId}" is not a child lead of ${identity.leadId}` });
    return deps.resolveChildKey(signerId);
  };
  const levelDeps: LevelDeps = { clock, identity, connection, ed25519: deps.ed25519, resolveChildKey: resolveChild, runScatter: deps.runScatter, subtree: deps.subtree, table, reports, options, logger: log };

  const refused = (code: string, message: string, extra: Record<string, unknown> = {}): Verdict => {
    framesRefused[code] = (framesRefused[code] ?? 0) + 1;
    log.debug({ event: CASCADE_EVENTS.frameRefused, code, reason: message, ...extra }, 'cascade frame refused');
    return { ok: false, code, message };
  };

  const respond = (msg: Msg, body: Uint8Array, frame?: { signerId: string; signature: string }): void => {
    if (msg.reply === undefined || msg.reply === '') return;
    if (frame === undefined) msg.respond(body);
    else msg.respond(body, { headers: frameHeaders({ body, ...frame }) });
  };

  const answeredBy = (signerId: string, messageId: string): Answered => ({ signerId, messageId });

  async function onSummary(msg: Msg, summary: Summary, t2: number): Promise<void> {
    const fresh = childReplay.check(summary.message_id, summary.created_at);
    const accepted = fresh.ok;
    if (accepted) {
      const known = table.get(summary.lead_id, t2) !== undefined;
      table.record(summary, t2);
      counters.summariesTaken += 1;
      if (!known) log.info({ event: CASCADE_EVENTS.childSeen, child_id: summary.lead_id, agents: summary.agent_count, max_lead_time_ms: summary.max_lead_time_ms }, 'child lead reported');
    } else {
      counters.summariesRefused += 1;
      refused(fresh.error.code, fresh.error.message, { child_id: summary.lead_id });
    }
    const t3 = clock.now();
    const reply: HeartbeatReply = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(t3),
      sender_id: identity.leadId,
      created_at: t3,
      ttl_ms: options.summaryIntervalMs,
      correlation_id: summary.message_id,
      kind: 'HEARTBEAT_REPLY',
      agent_id: summary.lead_id,
      accepted,
      ...(fresh.ok ? {} : { reason: `${fresh.error.code}: ${fresh.error.message}`.slice(0, 512) }),
      // The summary's created_at stands in for t1: the child keeps its own t1 and matches by correlation_id.
      t1: summary.created_at,
      t2,
      t3,
      frozen: deps.subtree.frozen(),
      config_epoch: 0,
      mode: deps.subtree.mode(),
      heartbeat_interval_ms: options.summaryIntervalMs,
    };
    const signed = await encodeMessage(reply, identity.signer, identity.leadId);
    respond(msg, signed.body, signed);
  }

  function onReport(ack: Ack): Verdict {
    const fresh = childReplay.check(ack.message_id, ack.created_at);
    if (!fresh.ok) return refused(fresh.error.code, fresh.error.message, { child_id: ack.agent_id });
    const delivered = reports.deliver(ack);
    if (delivered === 'unknown') {
      log.info({ event: CASCADE_EVENTS.reportLate, child_id: ack.agent_id, operation_id: ack.operation_id }, 'child report for no waiting phase');
      return { ok: true };
    }
    counters.reportsTaken += 1;
    return { ok: true };
  }

  async function fromChild(msg: Msg, frame: IncomingFrame, t2: number): Promise<void> {
    const verified = await verifyAndParse(frame, { ed25519: deps.ed25519, resolveKey: resolveChild, accept: ['SUMMARY', 'ACK'] });
    if (!verified.ok) {
      // Unsigned: the lead vouches for nothing about bytes it could not authenticate.
      return answer(msg, replies, refused(verified.error.code, verified.error.message, { signer_id: frame.signerId }), undefined);
    }
    const message = verified.value.message;
    if (isKind(message, 'SUMMARY')) return onSummary(msg, message, t2);
    if (isKind(message, 'ACK')) return answer(msg, replies, onReport(message), answeredBy(verified.value.signerId, message.message_id));
  }

  async function fromParent(msg: Msg, frame: IncomingFrame, link: ParentLink): Promise<void> {
    const receivedLocal = clock.now();
    const verified = await verifyAndParse(frame, { ed25519: deps.ed25519, resolveKey: link.resolveKey, accept: ['COORDINATE'], replay: link.replay });
    if (!verified.ok) {
      return answer(msg, replies, refused(verified.error.code, verified.error.message, { signer_id: frame.signerId }), undefined);
    }
    const coordinate = verified.value.message as Coordinate;
    const answered = answeredBy(verified.value.signerId, coordinate.message_id);
    const problem = await checkCoordinate(coordinate, link);
    if (problem !== null) {
      log.warn({ event: CASCADE_EVENTS.coordinateRefused, operation_id: coordinate.operation_id, code: problem.code, reason: problem.message }, 'cascade COORDINATE refused');
      return answer(msg, replies, refused(problem.code, problem.message), answered);
    }
    const envelope = CascadeEnvelope.parse(coordinate.payload);
    const targetLocal = link.parentClock.toLocal(coordinate.target_time);
    const plan: LevelPlan = {
      operationId: coordinate.operation_id,
      agentClass: coordinate.selector.agent_class ?? null,
      strategy: envelope.cascade.strategy,
      thresholds: { leadConfirmRate: envelope.cascade.lead_confirm_rate, agentReadyRate: envelope.cascade.agent_ready_rate, childrenFirst: envelope.cascade.children_first },
      verb: coordinate.verb,
      payload: envelope.payload,
      payloadWeight: coordinate.payload_weight,
      targets: coordinate.selector,
      agentReleaseMode: envelope.cascade.agent_release_mode,
      arrivalWindowMs: coordinate.arrival_window_ms,
      priority: coordinate.priority,
      agentCapabilities: envelope.cascade.agent_capabilities,
      targetTime: targetLocal,
      depth: envelope.cascade.depth,
      gatherMs: envelope.cascade.gather_ms,
    };
    counters.coordinatesTaken += 1;
    log.info({ event: CASCADE_EVENTS.coordinateTaken, operation_id: plan.operationId, target_time_parent: coordinate.target_time, target_time_local: targetLocal }, 'cascade COORDINATE taken');
    const run = runLevel(levelDeps, plan);
    const admission = await run.admitted;
    const confirmation: Verdict =
      admission === 'refused'
        ? { ok: false, code: 'SCATTER_REFUSED', message: 'this lead refused the operation for its agents' }
        : { ok: true, cascade: { admission: admission ?? 'none', target_time_local: targetLocal } };
    await answer(msg, replies, confirmation, answered);
    const phase = await run.done;
    await report(link, coordinate, receivedLocal, phase);
  }

  async function checkCoordinate(coordinate: Coordinate, link: ParentLink): Promise<Refusal | null> {
    const envelope = CascadeEnvelope.safeParse(coordinate.payload);
    if (!envelope.success) return { code: 'INVALID_FIELDS', message: `payload is not a cascade envelope: ${envelope.error.issues[0]?.message ?? 'invalid'}` };
    if ((await payloadHash(coordinate.payload)) !== coordinate.payload_hash) return { code: 'HASH_MISMATCH', message: 'payload_hash does not match the payload' };
    if (!link.parentClock.estimator.hasEstimate) return { code: 'NO_CLOCK_OFFSET', message: 'no clock exchange with the parent yet: T cannot be converted' };
    return null;
  }

  async function report(link: ParentLink, coordinate: Coordinate, receivedLocal: number, phase: CascadePhaseResult): Promise<void> {
    const body: ChildReport = {
      lead_id: identity.leadId,
      status: phase.status,
      target_time_local: phase.targetTime,
      offset_to_parent_ms: link.parentClock.estimator.offsetAt(phase.targetTime),
      offset_error_bound_ms: Number.isFinite(link.parentClock.errorBoundMs()) ? link.parentClock.errorBoundMs() : null,
      counts: phase.counts,
      arrival: phase.sketch,
      leads: phase.leads,
      own: phase.own.status === 'NONE' ? null : { status: phase.own.status, counts: phase.own.result?.counts ?? ZERO_COUNTS, refusal: phase.own.refusal === null ? null : { code: phase.own.refusal.code, reason: phase.own.refusal.reason.slice(0, 512) } },
      children: phase.children.slice(0, MAX_REPORTED_CHILDREN).map((c) => ({ lead_id: c.leadId, state: c.state, status: c.status, ready: c.counts.ready, sent: c.counts.sent })),
    };
    const now = link.parentClock.meshNow();
    const ack: Ack = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(now),
      sender_id: identity.leadId,
      created_at: now,
      ttl_ms: 30_000,
      kind: 'ACK',
      operation_id: coordinate.operation_id,
      coordinate_id: coordinate.message_id,
      agent_id: identity.leadId,
      trinary_state: phase.status === 'SUCCESS' ? 1 : 0,
      release_mode: 'hold',
      received_at_local: receivedLocal,
      ready_at_local: phase.targetTime,
      ready_at_mesh: link.parentClock.toMesh(phase.targetTime),
      processing_ms: Math.max(0, phase.decidedAt - receivedLocal),
      late: false,
      result: body,
      ...(phase.status === 'REFUSED' ? { refusal: { code: phase.own.refusal?.code ?? 'REFUSED', message: (phase.own.refusal?.reason ?? 'refused').slice(0, 512) } } : {}),
    };
    try {
      const frame = await encodeMessage(ack, identity.signer, identity.leadId);
      const reply = await connection.request(subjects.summary(link.parentId), frame.body, { headers: frameHeaders(frame), timeout: options.requestTimeoutMs });
      const confirmed = await readCascadeReply(reply, { ed25519: deps.ed25519, resolveKey: link.resolveKey, peerId: link.parentId, selfId: identity.leadId, requestId: ack.message_id });
      if (!confirmed.ok) throw new Error(`parent did not confirm the report: ${confirmed.code}: ${confirmed.message}`);
      counters.reportsSent += 1;
      log.info({ event: CASCADE_EVENTS.reportSent, operation_id: coordinate.operation_id, status: phase.status }, 'cascade report sent to parent and confirmed');
    } catch (error) {
      counters.reportsFailed += 1;
      log.warn({ event: CASCADE_EVENTS.reportFailed, operation_id: coordinate.operation_id, err: error }, 'cascade report to parent failed');
    }
  }

  let subscription: Subscription | undefined;

  const onMessage = (msg: Msg): void => {
    const t2 = clock.now();
    const frame = incomingFrame(msg);
    const handled = parent !== undefined && frame.signerId === parent.parentId ? fromParent(msg, frame, parent) : fromChild(msg, frame, t2);
    handled.catch((error: unknown) => {
      log.error({ err: error }, 'cascade message handler failed');
      answer(msg, replies, { ok: false, code: 'INTERNAL', message: 'the lead could not process the message' }, undefined).catch(() => undefined);
    });
  };

  async function cascade(input: CascadeRequestInput): Promise<CascadeResult> {
    const parsed = CascadeRequest.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TypeError(`invalid cascade request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
    }
    const request = parsed.data;
    const startedAt = clock.now();
    const cascadeId = request.cascadeId ?? `cas-${newMessageId(startedAt).replace(/[^A-Za-z0-9_-]/g, '').slice(0, 26)}`;
    const base = {
      strategy: request.strategy,
      verb: request.verb,
      payload: request.payload,
      payloadWeight: request.payloadWeight,
      agentReleaseMode: request.releaseMode,
      arrivalWindowMs: request.arrivalWindowMs,
      priority: request.priority,
      agentCapabilities: request.requiresCapabilities,
      depth: 0,
      gatherMs: request.gatherMs ?? options.childGatherMs,
    };
    const phases: CascadePhaseResult[] = [];
    const degraded: string[] = [];
    if (request.strategy === 'priority_first') {
      for (const { agentClass } of PRIORITY_ORDER) {
        if (request.targets.agent_class !== undefined && request.targets.agent_class !== agentClass) continue;
        const phase = await runLevel(levelDeps, {
          ...base,
          operationId: `${cascadeId}-${agentClass}`,
          agentClass,
          thresholds: thresholdsFor('priority_first', agentClass),
          targets: { ...request.targets, agent_class: agentClass },
          // Each class its own T: its phase starts when the one before it is decided.
          targetTime: undefined,
        }).done;
        phases.push(phase);
        if (phase.status !== 'SUCCESS' && phase.status !== 'EMPTY') {
          const line = `class ${agentClass}: ${phase.status}, ${phase.counts.ready}/${phase.counts.sent} ready (needs ${phase.thresholds.agentReadyRate})`;
          degraded.push(line);
          log.warn({ event: CASCADE_EVENTS.degraded, operation_id: phase.operationId, detail: line }, 'cascade phase below its threshold; continuing');
        }
      }
    } else {
      const phase = await runLevel(levelDeps, {
        ...base,
        operationId: cascadeId,
        agentClass: null,
        thresholds: thresholdsFor(request.strategy),
        targets: request.targets,
        targetTime: request.targetTime,
      }).done;
      phases.push(phase);
      if (phase.status !== 'SUCCESS') degraded.push(`${phase.status}: ${phase.counts.ready}/${phase.counts.sent} ready (needs ${phase.thresholds.agentReadyRate})`);
    }
    const counts = phases.reduce((a, p) => addCounts(a, p.counts), ZERO_COUNTS);
    const arrival = figuresOf(mergeSketches(phases.map((p) => p.sketch)));
    const status = request.strategy === 'priority_first' ? 'COMPLETE' : phases[0]!.status;
    log.info({ event: CASCADE_EVENTS.phaseCompleted, operation_id: cascadeId, status, ready: counts.ready, sent: counts.sent, abs_p99: arrival.abs?.p99 ?? null }, 'cascade decided');
    return { cascadeId, strategy: request.strategy, status, phases, counts, arrival, degraded, startedAt, decidedAt: clock.now() };
  }

  return {
    start() {
      subscription ??= connection.subscribe(subjects.summary(identity.leadId), {
        callback: (error, msg) => {
          if (error === null) onMessage(msg);
          else log.error({ err: error }, 'summary subscription failed');
        },
      });
      parent?.start();
    },
    stop() {
      parent?.stop();
      subscription?.unsubscribe();
      subscription = undefined;
      reports.close();
    },
    cascade,
    sendSummary() {
      if (parent === undefined) return Promise.reject(new Error(`${identity.leadId} has no parent lead`));
      return parent.sendSummary();
    },
    children: () => table.all(clock.now()),
    figures,
    parentOffset: () => parent?.parentClock.report() ?? null,
    stats: () => ({ ...counters, framesRefused: { ...framesRefused } }),
  };
}

