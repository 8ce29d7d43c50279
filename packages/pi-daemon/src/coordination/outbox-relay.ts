import { newMessageId } from '@mesh30k/shared';
import type { Ack, ConflictReport, SensorEvent } from '@mesh30k/shared';
import type { AgentContext } from '../agent/context.js';
import { LogEvent } from '../logging/events.js';
import { isBusError } from '../nats/errors.js';
import { parseConfirmation, requestSigned, type Route } from '../nats/frames.js';
import type { OutboxEntry } from '../ports.js';

type Outcome = 'delivered' | 'retry' | 'drop';

/**
 * Refusals that no retry can cure: the message itself is wrong. Anything else (EXPIRED or
 * FROM_THE_FUTURE while clocks settle, NOT_ENROLLED before an enrollment lands) is retried.
 */
const PERMANENT_REFUSALS: ReadonlySet<string> = new Set(['INVALID_FIELDS', 'WRONG_VERSION', 'UNKNOWN_KIND', 'MALFORMED_JSON', 'NOT_UTF8', 'OVERSIZED', 'SIGNER_MISMATCH']);

export function isPermanentRefusal(code: string): boolean {
  return PERMANENT_REFUSALS.has(code);
}

/**
 * Delivers what the outbox holds once the lead is reachable: oldest first (sequence order),
 * one at a time and rate-limited, each re-stamped with `late: true`, its `outbox_seq`, a fresh
 * message_id and created_at (so the lead's replay guard accepts it) and signed again. An entry
 * is removed only after the lead confirmed it, so delivery is at least once and the lead's
 * de-duplication makes it exactly once. The first failure stops the pass; it is retried with
 * backoff, which keeps the order.
 */
export class OutboxRelay {
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly ctx: AgentContext) {}

  /**
   * Starts a pass now if connected, idle and the clock is synced: re-stamped entries carry
   * created_at in mesh time, which a lead would refuse from an agent that has not measured it.
   */
  kick(): void {
    if (this.stopped || this.running !== undefined || !this.ctx.bus.connected || !this.ctx.clock.synced) return;
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.running = this.pass()
      .catch((error: unknown) => {
        this.ctx.log.error({ event: LogEvent.OUTBOX_STALLED, err: error }, 'outbox relay failed');
        this.scheduleRetry();
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Retries later (after a failure, or after an ACK was outboxed while connected). */
  scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const { outboxRetryMinMs, outboxRetryMaxMs } = this.ctx.tuning;
    const wait = Math.min(outboxRetryMaxMs, outboxRetryMinMs * 2 ** Math.min(this.failures, 16));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, wait * (0.5 + Math.random() * 0.5));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.wake?.();
    await this.running;
  }

  private async pass(): Promise<void> {
    const { ctx } = this;
    const gapMs = 1000 / Math.max(0.001, ctx.tuning.outboxRatePerSec);
    while (!this.stopped && ctx.bus.connected) {
      const batch = ctx.outbox.peek(ctx.tuning.outboxBatch);
      if (batch.length === 0) {
        this.failures = 0;
        return;
      }
      const done: number[] = [];
      let failed = false;
      for (const entry of batch) {
        if (this.stopped || !ctx.bus.connected) {
          failed = true;
          break;
        }
        const outcome = await this.deliver(entry);
        if (outcome === 'retry') {
          ctx.outbox.recordAttempt(entry.seq);
          failed = true;
          break;
        }
        done.push(entry.seq);
        await this.pause(gapMs);
      }
      // Removed in one write per batch: fewer SD-card writes; a crash here only means duplicates.
      if (done.length > 0) ctx.outbox.remove(done);
      if (failed) {
        this.failures++;
        ctx.counters.outboxFailures++;
        this.scheduleRetry();
        return;
      }
    }
  }

  private async deliver(entry: OutboxEntry): Promise<Outcome> {
    const { ctx } = this;
    const ids = { seq: entry.seq, kind: entry.kind, attempts: entry.attempts };
    let message: Ack | ConflictReport | SensorEvent;
    let route: Route;
    try {
      const body = JSON.parse(entry.body) as Ack | ConflictReport | SensorEvent;
      const meshNow = ctx.clock.meshNow();
      switch (entry.kind) {
        case 'ACK':
          route = { family: 'ack', id: ctx.identity.leadId };
          break;
        case 'CONFLICT':
          route = { family: 'conflict', id: ctx.identity.leadId };
          break;
        case 'EVENT':
          // SENSOR_EVENTs: ordered per sensor (entry.stream), which sequence order keeps.
          route = { family: 'sensor', id: ctx.identity.leadId };
          break;
      }
      message = { ...body, message_id: newMessageId(meshNow), created_at: meshNow, late: true, outbox_seq: entry.seq };
    } catch (error) {
      ctx.log.error({ event: LogEvent.OUTBOX_DROPPED, ...ids, err: error }, 'unreadable outbox entry dropped');
      return 'drop';
    }
    try {
      const reply = await requestSigned(ctx.bus, route, message, ctx.self, ctx.tuning.ackTimeoutMs);
      const confirmation = parseConfirmation(reply.data);
      if (!confirmation.ok) {
        const permanent = isPermanentRefusal(confirmation.code);
        ctx.log[permanent ? 'error' : 'warn']({ event: LogEvent.ACK_REFUSED_BY_LEAD, ...ids, code: confirmation.code }, `the lead refused a late ${entry.kind}: ${confirmation.message}`);
        return permanent ? 'drop' : 'retry';
      }
      ctx.counters.outboxReplayed++;
      ctx.log.info({ event: LogEvent.OUTBOX_REPLAYED, ...ids, message: message.message_id, ...('operation_id' in message ? { operation: message.operation_id } : { stream: entry.stream }) }, 'late delivery confirmed');
      return 'delivered';
    } catch (error) {
      if (isBusError(error)) {
        ctx.log.warn({ event: LogEvent.OUTBOX_STALLED, ...ids, code: error.code }, `late delivery failed (${error.code}); will retry`);
        return 'retry';
      }
      // encodeMessage refuses an invalid message: it will never become valid.
      ctx.log.error({ event: LogEvent.OUTBOX_DROPPED, ...ids, err: error }, 'outbox entry cannot be sent; dropped');
      return 'drop';
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
