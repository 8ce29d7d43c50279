/**
 * Executes a plan's sends: one timer per 10 ms bucket of per-agent sends (lead and none modes),
 * each firing every member's own COORDINATE, and one timer for the hold group, which publishes
 * one signed COORDINATE per group selector (normally exactly one). Frames are signed when their
 * timer fires, so created_at is fresh; the timer fires early by the estimated signing cost of
 * its bucket so the last frame is not late.
 */
import { MeshError, encodeMessage } from '@mesh30k/shared';
import type { Clock, Coordinate, SendBucket } from '@mesh30k/shared';
import type { Logger } from 'pino';
import { stampLeaseEpoch } from '../ha/lease-stamp.js';
import { agentCoordinate, buildCoordinate } from './coordinate.js';
import type { CoordinateContext } from './coordinate.js';
import { SCATTER_EVENTS } from './events.js';
import type { ResolvedScatterOptions } from './options.js';
import type { HoldPlan, Plan } from './plan.js';
import type { LeadIdentity, Scheduler, ScatterTransport, TimerHandle } from './ports.js';
import type { HoldMessage, PlannedAgent } from './record.js';

export interface DispatchDeps {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly transport: ScatterTransport;
  readonly identity: LeadIdentity;
  readonly options: ResolvedScatterOptions;
  readonly log: Logger;
  readonly onOversizedFrame?: () => void;
}

/** Told about every send as it happens, and once when the last timer has fired. */
export interface DispatchListener {
  sent(agentId: string, coordinateId: string, sentAt: number): void;
  failed(agentId: string, error: unknown): void;
  done(): void;
}

export class Dispatcher {
  private readonly timers: TimerHandle[] = [];
  private readonly byId: Map<string, PlannedAgent>;
  private pending = 0;
  private cancelled = false;
  readonly holdMessages: HoldMessage[] = [];

  constructor(
    private readonly deps: DispatchDeps,
    private readonly plan: Plan,
    private readonly ctx: CoordinateContext,
    private readonly listener: DispatchListener,
  ) {
    this.byId = new Map(plan.planned.map((p) => [p.agentId, p]));
  }

  /** Arms the timers; calls done() at once when there is nothing to send. */
  start(): void {
    const { scheduler, options } = this.deps;
    const { plan } = this;
    this.pending = plan.buckets.length + (plan.hold === null ? 0 : 1);
    if (this.pending === 0) {
      this.listener.done();
      return;
    }
    for (const bucket of plan.buckets) {
      const fireAt = Math.max(plan.nowMs, bucket.sendAt - options.signCostMsPerFrame * bucket.agentIds.length);
      this.timers.push(scheduler.at(fireAt, () => this.sendBucket(bucket), 'send'));
    }
    const hold = plan.hold;
    if (hold !== null) {
      const fireAt = Math.max(plan.nowMs, hold.sendAt - options.signCostMsPerFrame * hold.selectors.length);
      this.timers.push(scheduler.at(fireAt, () => this.sendHold(hold), 'send'));
    }
  }

  /** Stops sends that have not fired yet (the engine is stopping). */
  cancel(): void {
    this.cancelled = true;
    for (const timer of this.timers) timer.cancel();
  }

  private async sendBucket(bucket: SendBucket): Promise<void> {
    const firstAt = this.deps.clock.now();
    for (const agentId of bucket.agentIds) {
      const agent = this.byId.get(agentId);
      if (agent === undefined || this.cancelled) continue;
      const message = agentCoordinate(this.ctx, this.deps.clock.now(), agent);
      await this.publish(message, [agentId], (frame) => this.deps.transport.publishToAgent(agentId, frame));
    }
    this.deps.log.debug(
      { event: SCATTER_EVENTS.bucketSent, bucket_at: bucket.sendAt, fired_at: firstAt, agents: bucket.agentIds.length },
      'bucket sent',
    );
    this.finishOne();
  }

  private async sendHold(hold: HoldPlan): Promise<void> {
    const { leadId } = this.deps.identity;
    for (const selector of hold.selectors) {
      if (this.cancelled) break;
      const now = this.deps.clock.now();
      const message = buildCoordinate(this.ctx, now, 'hold', selector);
      const members = selector.agent_ids ?? hold.agentIds;
      const ok = await this.publish(message, members, (frame) => this.deps.transport.publishToGroup(leadId, frame));
      if (ok) this.holdMessages.push({ coordinateId: message.message_id, sendAt: now, selector, agentCount: members.length });
    }
    this.deps.log.info(
      { event: SCATTER_EVENTS.holdSent, hold_at: hold.sendAt, messages: hold.selectors.length, agents: hold.agentIds.length },
      'hold group sent',
    );
    this.finishOne();
  }

  private async publish(
    message: Coordinate,
    agentIds: readonly string[],
    send: (frame: Awaited<ReturnType<typeof encodeMessage>>) => void,
  ): Promise<boolean> {
    try {
      // Stamped when signed: a lead whose lease ran out since the plan sends nothing.
      const frame = await encodeMessage(stampLeaseEpoch(message, this.deps.identity.leaseEpoch), this.deps.identity.signer, this.deps.identity.leadId);
      send(frame);
      const sentAt = this.deps.clock.now();
      for (const id of agentIds) this.listener.sent(id, message.message_id, sentAt);
      return true;
    } catch (error) {
      // Over the frame limit: no agent could take it, so none is sent it (and none is blamed).
      if (error instanceof MeshError && error.code === 'OVERSIZED') this.deps.onOversizedFrame?.();
      this.deps.log.error({ event: SCATTER_EVENTS.sendFailed, err: error, agents: agentIds.length }, 'send failed');
      for (const id of agentIds) this.listener.failed(id, error);
      return false;
    }
  }

  private finishOne(): void {
    this.pending -= 1;
    if (this.pending === 0) this.listener.done();
  }
}
