import { isPermanentRefusal, newMessageId } from '@mesh30k/shared';
import type { Ack, ConflictReport, SensorEvent } from '@mesh30k/shared';
import type { AgentContext } from '../agent/context.js';
import { LogEvent } from '../logging/events.js';
import { isBusError } from '../nats/errors.js';
import { requestConfirmed, type ConfirmingPeer, type Route } from '../nats/frames.js';
import type { OutboxEntry } from '../ports.js';

type Outcome =
  | { readonly kind: 'delivered' }
  /** The lead refused this entry for now (or its reply could not be trusted): back off this entry. */
  | { readonly kind: 'defer'; readonly code: string; readonly reason: string }
  /** The link failed (no connection, no responders, timeout): back off the whole relay. */
  | { readonly kind: 'link'; readonly code: string }
  /** No retry can help: to the dead letters. */
  | { readonly kind: 'dead'; readonly code: string; readonly reason: string };

export { isPermanentRefusal };

export interface RelayOptions {
  /** Wall clock for per-entry backoff. */
  now?: () => number;
  /** 0..1, for the backoff jitter. */
  random?: () => number;
}

/** The agent's lead as the signer of the confirmations it waits for. */
export function confirmingLead(ctx: AgentContext): ConfirmingPeer {
  return { bus: ctx.bus, self: ctx.self, ed25519: ctx.ed25519, resolveKey: ctx.leadKeys, peerId: ctx.identity.leadId, timeoutMs: ctx.tuning.ackTimeoutMs };
}

/** The ordered stream an outbox entry belongs to: the ACKs or conflicts of one operation. */
export function streamOf(kind: 'ACK' | 'CONFLICT', operationId: string | undefined): string | null {
  return operationId === undefined ? null : `${kind.toLowerCase()}:${operationId}`;
}

/**
 * Delivers what the outbox holds once the lead is reachable, each entry re-stamped with
 * `late: true`, its `outbox_seq`, a fresh message_id and created_at (so the lead's replay guard
 * accepts it) and signed again. An entry leaves the outbox only on the lead's signed
 * confirmation, so delivery is at least once and the lead's de-duplication makes it exactly once.
 *
 * Nothing blocks the queue: a permanent refusal moves the entry to the dead letters; a temporary
 * one puts that entry back with its own exponential backoff (jitter, a cap) while the entries
 * behind it go on; only entries of the same ordered stream wait for it. A failed link (no
 * connection, no responders, timeout) pauses the whole relay instead, with its own backoff.
 */
export class OutboxRelay {
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt = Number.POSITIVE_INFINITY;
  private failures = 0;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    private readonly ctx: AgentContext,
    options: RelayOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /**
   * Starts a pass now if connected, idle and the clock is synced: re-stamped entries carry
   * created_at in mesh time, which a lead would refuse from an agent that has not measured it.
   */
  kick(): void {
    if (this.stopped || this.running !== undefined || !this.ctx.bus.connected || !this.ctx.clock.synced) return;
    this.clearTimer();
    this.running = this.pass()
      .catch((error: unknown) => {
        this.ctx.log.error({ event: LogEvent.OUTBOX_STALLED, err: error }, 'outbox relay failed');
        this.failures++;
        this.scheduleRetry();
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Retries later with the relay's backoff (after a link failure, or an ACK outboxed while connected). */
  scheduleRetry(): void {
    this.scheduleIn(this.backoff(this.failures));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    this.wake?.();
    await this.running;
  }

  private async pass(): Promise<void> {
    const { ctx } = this;
    const gapMs = 1000 / Math.max(0.001, ctx.tuning.outboxRatePerSec);
    while (!this.stopped && ctx.bus.connected) {
      const batch = ctx.outbox.due(this.now(), ctx.tuning.outboxBatch);
      if (batch.length === 0) break;
      const done: number[] = [];
      let linkDown = false;
      for (const entry of batch) {
        if (this.stopped || !ctx.bus.connected) break;
        const outcome = await this.deliver(entry);
        if (outcome.kind === 'delivered') {
          done.push(entry.seq);
          this.failures = 0;
        } else if (outcome.kind === 'dead') {
          this.toDeadLetters(entry, outcome.code, outcome.reason);
        } else {
          this.defer(entry, outcome.code, outcome.kind === 'defer' ? outcome.reason : `link: ${outcome.code}`);
          if (outcome.kind === 'link') {
            linkDown = true;
            break;
          }
        }
        await this.pause(gapMs);
      }
      // Removed in one write per batch: fewer SD-card writes; a crash here only means duplicates.
      if (done.length > 0) ctx.outbox.remove(done);
      if (linkDown) {
        this.failures++;
        ctx.counters.outboxFailures++;
        this.scheduleRetry();
        return;
      }
    }
    const next = ctx.outbox.nextAttemptAt();
    if (next !== null && !this.stopped) this.scheduleIn(Math.max(0, next - this.now()));
  }

  private defer(entry: OutboxEntry, code: string, reason: string): void {
    const { ctx } = this;
    const waitMs = this.backoff(entry.attempts);
    ctx.outbox.deferUntil(entry.seq, this.now() + waitMs);
    ctx.counters.outboxDeferred++;
    const attempts = entry.attempts + 1;
    // Sampled: the first failure of an entry, then at 2, 4, 8... attempts; the rest at debug.
    const level = (attempts & (attempts - 1)) === 0 ? 'warn' : 'debug';
    ctx.log[level](
      { event: LogEvent.OUTBOX_DEFERRED, seq: entry.seq, kind: entry.kind, stream: entry.stream, attempts, code, retry_in_ms: Math.round(waitMs) },
      `late ${entry.kind} not delivered (${code}: ${reason}); retried on its own backoff`,
    );
  }

  private toDeadLetters(entry: OutboxEntry, code: string, reason: string): void {
    const { ctx } = this;
    ctx.outbox.deadLetter(entry.seq, { code, reason });
    ctx.counters.outboxDeadLettered++;
    ctx.log.error(
      { event: LogEvent.OUTBOX_DEAD_LETTER, seq: entry.seq, kind: entry.kind, stream: entry.stream, attempts: entry.attempts, code },
      `the lead refused a late ${entry.kind} for good (${code}: ${reason}); moved to the dead letters`,
    );
  }

  private async deliver(entry: OutboxEntry): Promise<Outcome> {
    const { ctx } = this;
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
          // SENSOR_EVENTs: ordered per sensor (entry.stream).
          route = { family: 'sensor', id: ctx.identity.leadId };
          break;
      }
      message = { ...body, message_id: newMessageId(meshNow), created_at: meshNow, late: true, outbox_seq: entry.seq };
    } catch (error) {
      return { kind: 'dead', code: 'UNREADABLE', reason: `the entry is not a message: ${error instanceof Error ? error.message : String(error)}` };
    }
    try {
      const confirmation = await requestConfirmed(confirmingLead(ctx), route, message);
      if (!confirmation.ok) {
        if (isPermanentRefusal(confirmation.code)) return { kind: 'dead', code: confirmation.code, reason: confirmation.message };
        return { kind: 'defer', code: confirmation.code, reason: confirmation.message };
      }
      ctx.counters.outboxReplayed++;
      ctx.log.info({ event: LogEvent.OUTBOX_REPLAYED, seq: entry.seq, kind: entry.kind, attempts: entry.attempts, message: message.message_id, ...('operation_id' in message ? { operation: message.operation_id } : { stream: entry.stream }) }, 'late delivery confirmed');
      return { kind: 'delivered' };
    } catch (error) {
      if (isBusError(error)) return { kind: 'link', code: error.code };
      // encodeMessage refuses an invalid message: it will never become valid.
      return { kind: 'dead', code: 'INVALID_MESSAGE', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Exponential in the number of failures, capped, with jitter so a fleet does not retry in step. */
  private backoff(failures: number): number {
    const { outboxRetryMinMs, outboxRetryMaxMs } = this.ctx.tuning;
    const wait = Math.min(outboxRetryMaxMs, outboxRetryMinMs * 2 ** Math.min(failures, 16));
    return wait * (0.5 + this.random() * 0.5);
  }

  private scheduleIn(waitMs: number): void {
    if (this.stopped) return;
    const at = this.now() + waitMs;
    if (this.retryTimer !== undefined && this.retryAt <= at) return;
    this.clearTimer();
    this.retryAt = at;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryAt = Number.POSITIVE_INFINITY;
      this.kick();
    }, waitMs);
  }

  private clearTimer(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAt = Number.POSITIVE_INFINITY;
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
