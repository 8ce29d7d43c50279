/**
 * The scatter engine's transport with the edge tier added: a ScatterTransport decorator. For
 * Pis it changes nothing (everything goes to the wrapped NATS transport). For edge agents:
 *
 * - publishToAgent (lead and none modes), called by the engine at the agent's scheduled send
 *   time: the COORDINATE is POSTed to the Worker's /v1/coordinate instead of NATS. Lead mode
 *   adds `clock_offset_ms`, extrapolated to T, to the Worker's compensation entry.
 * - publishToGroup (hold mode): the group message still goes to the NATS group subject,
 *   unchanged and without a compensation map. Workers cannot hear it, so each held Worker gets
 *   its own HTTP COORDINATE at the same instant: the group message with the selector narrowed
 *   to that Worker and a one-entry compensation map (its lead time, expected processing and
 *   confidence from the operation's plan, and clock_offset_ms extrapolated to T). It keeps the
 *   group message's message_id, so the Worker's ACK names the coordinate the engine recorded
 *   as sent to it; each recipient still sees that id exactly once.
 *
 * Both are freshly signed by the lead (the lead's own message, re-issued with one more field;
 * the bytes that travel are the bytes signed). The ACK in the HTTP response is handed to the
 * engine's ACK handler, the one subscribeAcks was given, so it is verified, counted and
 * decided in the same quorum as the ACKs that arrive over NATS.
 *
 * No retry for a COORDINATE: a second POST of the same message would be refused as a replay
 * if the first arrived, and a late one is worth less than a straggler. Transport failures
 * count against the Worker's breaker; refusals (4xx with a problem code) do not.
 */
import { Coordinate, encodeMessage, type Compensation, type SignedFrame } from '@mesh30k/shared';
import type { Logger } from 'pino';
import type { AckHandler, AckReply, LeadIdentity, OperationStore, ScatterTransport, Unsubscribe } from '../scatter/ports.js';
import type { OperationRecord, PlannedAgent } from '../scatter/record.js';
import { stampLeaseEpoch } from '../ha/lease-stamp.js';
import { edgeUrl, type EdgeAgent } from './edge-agent.js';
import type { EdgeDirectory } from './edge-directory.js';
import { EdgeUnreachable, postSigned, type EdgeAnswer, type FetchLike } from './edge-http.js';
import { EDGE_EVENTS, type EdgeProber } from './edge-prober.js';

/** How long past T (+ window) a COORDINATE request may stay open: the ACK's trip back and a margin. */
export const COORDINATE_RESPONSE_SLACK_MS = 5_000;

/** What happened to one HTTP COORDINATE (for tests and the benchmark). */
export interface EdgeDelivery {
  readonly agentId: string;
  readonly operationId: string;
  readonly coordinateId: string;
  readonly mode: Coordinate['release_mode'];
  /** Lead clock when the POST started and when its answer was read. */
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly clockOffsetMs: number | null;
  readonly outcome: 'acked' | 'ack_refused' | 'refused' | 'unreachable' | 'dropped';
  readonly detail: string | null;
  readonly ackReply: AckReply | null;
  /** The accepted ACK's ready_at_local (Worker clock); null without an accepted ACK. */
  readonly readyAtLocal: number | null;
}

/**
 * Plans of running operations, kept from the operations history's save(): hold mode does not
 * put the per-agent compensation on the wire, so the transport looks it up here.
 */
export class OperationPlanTap implements OperationStore {
  private readonly plans = new Map<string, Map<string, PlannedAgent>>();

  constructor(private inner: OperationStore | null = null) {}

  /** Where records go on to (the operations history). */
  setInner(inner: OperationStore | null): void {
    this.inner = inner;
  }

  save(record: OperationRecord): void {
    if (record.state === 'running') this.plans.set(record.operationId, new Map(record.plan.map((p) => [p.agentId, p])));
    else this.plans.delete(record.operationId);
    this.inner?.save(record);
  }

  has(operationId: string): boolean {
    return this.inner?.has?.(operationId) === true;
  }

  planned(operationId: string, agentId: string): PlannedAgent | undefined {
    return this.plans.get(operationId)?.get(agentId);
  }

  heldAgents(operationId: string): PlannedAgent[] {
    return [...(this.plans.get(operationId)?.values() ?? [])].filter((p) => p.mode === 'hold');
  }
}

export interface EdgeTransportDeps {
  readonly inner: ScatterTransport;
  readonly directory: EdgeDirectory;
  readonly prober: EdgeProber;
  readonly plans: OperationPlanTap;
  readonly identity: LeadIdentity;
  readonly clock: { now(): number };
  readonly logger: Logger;
  readonly fetch?: FetchLike;
  readonly onDelivery?: (delivery: EdgeDelivery) => void;
}

const decoder = new TextDecoder();

export class EdgeScatterTransport implements ScatterTransport {
  private handler: AckHandler | null = null;
  private readonly fetchImpl: FetchLike;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: EdgeTransportDeps) {
    this.fetchImpl = deps.fetch ?? ((input, init) => fetch(input, init));
  }

  publishToGroup(leadId: string, frame: SignedFrame): void {
    this.deps.inner.publishToGroup(leadId, frame);
    if (this.deps.directory.size === 0) return;
    const message = ownCoordinate(frame);
    if (message === null || message.release_mode !== 'hold') return;
    const members = message.selector.agent_ids === undefined ? null : new Set(message.selector.agent_ids);
    for (const planned of this.deps.plans.heldAgents(message.operation_id)) {
      const agent = this.deps.directory.get(planned.agentId);
      if (agent === undefined || (members !== null && !members.has(agent.agent_id))) continue;
      const base: Compensation = { lead_time_ms: planned.leadTimeMs, expected_processing_ms: planned.expectedProcessingMs, confidence: planned.confidence };
      this.track(this.deliver(agent, { ...message, selector: { agent_ids: [agent.agent_id] } }, base));
    }
  }

  publishToAgent(agentId: string, frame: SignedFrame): void {
    const agent = this.deps.directory.get(agentId);
    if (agent === undefined) {
      this.deps.inner.publishToAgent(agentId, frame);
      return;
    }
    const message = ownCoordinate(frame);
    if (message === null) {
      // Not something this transport can re-issue: send the exact frame as it is.
      this.track(this.post(agent, frame, null, null));
      return;
    }
    const entry = message.compensation?.[agentId];
    if (entry === undefined) this.track(this.post(agent, frame, message, null));
    else this.track(this.deliver(agent, message, entry));
  }

  subscribeAcks(handler: AckHandler): Unsubscribe {
    this.handler = handler;
    const inner = this.deps.inner.subscribeAcks(handler);
    return {
      unsubscribe: () => {
        inner.unsubscribe();
        if (this.handler === handler) this.handler = null;
      },
    };
  }

  /** Resolves when every HTTP COORDINATE in flight has been answered (or failed). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Adds the Worker's clock offset at T to its compensation entry, signs, sends. */
  private async deliver(agent: EdgeAgent, message: Coordinate, base: Compensation): Promise<void> {
    const reading = this.deps.prober.endpoint(agent.agent_id).clock.offsetAt(message.target_time);
    const entry: Compensation = reading === null ? base : { ...base, clock_offset_ms: reading.clockOffsetMs };
    let frame: SignedFrame;
    try {
      frame = await encodeMessage(stampLeaseEpoch({ ...message, compensation: { [agent.agent_id]: entry } }, this.deps.identity.leaseEpoch), this.deps.identity.signer, this.deps.identity.leadId);
    } catch (error) {
      this.report(agent, message, this.deps.clock.now(), reading?.clockOffsetMs ?? null, 'dropped', `could not sign: ${String(error)}`, null);
      return;
    }
    await this.post(agent, frame, message, reading?.clockOffsetMs ?? null);
  }

  private async post(agent: EdgeAgent, frame: SignedFrame, message: Coordinate | null, clockOffsetMs: number | null): Promise<void> {
    const sentAt = this.deps.clock.now();
    const breaker = this.deps.prober.endpoint(agent.agent_id).breaker;
    if (!breaker.admit()) {
      this.report(agent, message, sentAt, clockOffsetMs, 'dropped', `edge breaker ${breaker.state()}`, null);
      return;
    }
    const timeoutMs = message === null ? COORDINATE_RESPONSE_SLACK_MS : Math.max(0, message.target_time + message.arrival_window_ms - sentAt) + COORDINATE_RESPONSE_SLACK_MS;
    let answer: EdgeAnswer;
    try {
      answer = await postSigned(this.fetchImpl, edgeUrl(agent, '/v1/coordinate'), frame, timeoutMs);
    } catch (error) {
      const detail = error instanceof EdgeUnreachable ? error.message : String(error);
      breaker.recordFailure(`COORDINATE: ${detail}`);
      this.report(agent, message, sentAt, clockOffsetMs, 'unreachable', detail, null);
      return;
    }
    if (answer.kind === 'problem') {
      if (answer.status >= 500) breaker.recordFailure(`COORDINATE answered ${answer.status} ${answer.code}`);
      this.report(agent, message, sentAt, clockOffsetMs, 'refused', `${answer.status} ${answer.code}: ${answer.detail}`, null);
      return;
    }
    breaker.recordSuccess();
    const handler = this.handler;
    if (handler === null) {
      this.report(agent, message, sentAt, clockOffsetMs, 'dropped', 'no ACK handler subscribed', null);
      return;
    }
    let reply: AckReply;
    try {
      reply = await handler(answer.frame);
    } catch (error) {
      reply = { ok: false, code: 'INTERNAL', message: String(error) };
    }
    const readyAtLocal = reply.ok ? readyAtLocalOf(answer.frame.body) : null;
    this.report(agent, message, sentAt, clockOffsetMs, reply.ok ? 'acked' : 'ack_refused', reply.ok ? null : `${reply.code}: ${reply.message}`, reply, readyAtLocal);
  }

  private report(
    agent: EdgeAgent,
    message: Coordinate | null,
    sentAt: number,
    clockOffsetMs: number | null,
    outcome: EdgeDelivery['outcome'],
    detail: string | null,
    ackReply: AckReply | null,
    readyAtLocal: number | null = null,
  ): void {
    const delivery: EdgeDelivery = {
      agentId: agent.agent_id,
      operationId: message?.operation_id ?? '',
      coordinateId: message?.message_id ?? '',
      mode: message?.release_mode ?? 'none',
      sentAt,
      answeredAt: this.deps.clock.now(),
      clockOffsetMs,
      outcome,
      detail,
      ackReply,
      readyAtLocal,
    };
    const fields = { agent_id: agent.agent_id, operation_id: delivery.operationId, mode: delivery.mode, outcome, detail, clock_offset_ms: clockOffsetMs };
    if (outcome === 'acked') this.deps.logger.debug({ event: EDGE_EVENTS.coordinateSent, ...fields }, 'edge coordinate acknowledged');
    else if (outcome === 'dropped') this.deps.logger.warn({ event: EDGE_EVENTS.coordinateDropped, ...fields }, 'edge coordinate not sent');
    else this.deps.logger.warn({ event: EDGE_EVENTS.coordinateFailed, ...fields }, 'edge coordinate failed');
    this.deps.onDelivery?.(delivery);
  }
}

/** The lead's own COORDINATE, parsed from the frame it just signed; null if it is not one. */
function ownCoordinate(frame: SignedFrame): Coordinate | null {
  try {
    const parsed = Coordinate.safeParse(JSON.parse(decoder.decode(frame.body)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** ready_at_local of an ACK the engine has already verified and accepted. */
function readyAtLocalOf(body: Uint8Array): number | null {
  try {
    const value = (JSON.parse(decoder.decode(body)) as { ready_at_local?: unknown }).ready_at_local;
    return typeof value === 'number' ? value : null;
  } catch {
    return null;
  }
}
