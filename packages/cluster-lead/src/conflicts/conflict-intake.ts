/**
 * The lead's conflict subject: CONFLICT reports that are not tied to an ACK, sent as requests.
 * Verified before parsing (signature, enrolled signer who must be the agent named, replay),
 * held to a per-agent rate (a token bucket: one enrolled agent must not flood the log), recorded
 * by the desk, answered with a REPLY the lead signs: ok (also for a duplicate, so an agent's
 * outbox stops resending) or a refusal code; agents keep a RATE_LIMITED report in their outbox
 * and send it again later. With the JetStream store the answer also waits for the conflict to be
 * on its stream: a failed publish is answered STORE_FAILED (temporary), so the agent keeps the
 * report and sends it again, and only a conflict a standby lead can find leaves its outbox.
 */
import { subjects, verifyAndParse, type ConflictReport, type Ed25519, type IncomingFrame, type KeyResolver, type ReplayCheck } from '@mesh30k/shared';
import type { NatsConnection, Subscription } from 'nats';
import type { LimitCounters } from '../lib/limit-counters.js';
import type { Logger } from '../lib/logger.js';
import { RateLimiter, type RateLimitOptions } from '../lib/rate-limiter.js';
import { serveRequests, type ReplySigner } from '../nats/replies.js';
import type { AckReply } from '../scatter/ports.js';
import type { ConflictDesk } from './conflict-desk.js';

/** Leads serving one lead id share the subject as a queue group, as for heartbeats and ACKs. */
export const CONFLICT_QUEUE_GROUP = 'leads';
/** Conflict reports per agent: a burst, then per second (conflicts.rate_limit). */
export const DEFAULT_CONFLICT_RATE: RateLimitOptions = { burst: 20, perSecond: 2 };

export interface ConflictIntakeDeps {
  readonly desk: ConflictDesk;
  readonly ed25519: Ed25519;
  readonly resolveKey: KeyResolver;
  readonly replay: ReplayCheck;
  readonly logger: Logger;
  readonly leadId: string;
  /** Signs the verdict on each report. */
  readonly replies: ReplySigner;
  readonly clock: { now(): number };
  /** Default DEFAULT_CONFLICT_RATE. */
  readonly rate?: RateLimitOptions;
  readonly limits?: LimitCounters;
  /** Resolves once the logged conflict is replicated (JetStream store); absent with the SQLite store. */
  readonly replicate?: ((conflictId: string) => Promise<void>) | undefined;
}

export class ConflictIntake {
  private subscription: Subscription | undefined;
  private accepted = 0;
  private readonly refused: Record<string, number> = {};
  private readonly perAgent: RateLimiter;

  constructor(private readonly deps: ConflictIntakeDeps) {
    this.perAgent = new RateLimiter(deps.rate ?? DEFAULT_CONFLICT_RATE);
  }

  async handle(frame: IncomingFrame): Promise<AckReply> {
    const verified = await verifyAndParse(frame, { ed25519: this.deps.ed25519, resolveKey: this.deps.resolveKey, replay: this.deps.replay, accept: ['CONFLICT'] });
    if (!verified.ok) return this.refuse(verified.error.code, verified.error.message);
    const report = verified.value.message as ConflictReport;
    const answered = { messageId: report.message_id, signerId: verified.value.signerId };
    // Checked after verification, so nobody can spend an agent's allowance by naming it.
    const rate = this.perAgent.take(report.agent_id, this.deps.clock.now());
    if (!rate.ok) {
      this.deps.limits?.hit('conflict_rate');
      const message = `agent "${report.agent_id}" is over its conflict rate (conflicts.rate_limit); retry in ${rate.retryAfterS} s`;
      this.refuse('RATE_LIMITED', message);
      return { ok: false, code: 'RATE_LIMITED', message, retry_after_ms: rate.retryAfterS * 1_000, answered };
    }
    try {
      this.deps.desk.fromReport(report, { body: verified.value.body, signerId: verified.value.signerId, signature: frame.signature ?? '' });
    } catch (error) {
      this.deps.logger.error({ err: error, conflict_id: report.conflict_id }, 'conflict could not be stored');
      return { ...this.refuse('STORE_FAILED', 'the lead could not store the conflict; retry later'), answered };
    }
    // A duplicate is published again too: its first publish may be the one that failed.
    if (this.deps.replicate !== undefined) {
      try {
        await this.deps.replicate(report.conflict_id);
      } catch (error) {
        this.deps.logger.error({ err: error, conflict_id: report.conflict_id, agent_id: report.agent_id }, 'conflict stored but not replicated');
        return { ...this.refuse('STORE_FAILED', 'the lead could not replicate the conflict; retry later'), answered };
      }
    }
    this.accepted += 1;
    return { ok: true, answered };
  }

  subscribe(nc: NatsConnection): void {
    this.subscription ??= serveRequests(nc, { subject: subjects.conflict(this.deps.leadId), queue: CONFLICT_QUEUE_GROUP, replies: this.deps.replies, logger: this.deps.logger, what: 'conflict', handle: (frame) => this.handle(frame) });
  }

  unsubscribe(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  stats(): { accepted: number; refused: Readonly<Record<string, number>> } {
    return { accepted: this.accepted, refused: { ...this.refused } };
  }

  private refuse(code: string, message: string): AckReply {
    this.refused[code] = (this.refused[code] ?? 0) + 1;
    this.deps.logger.debug({ event: 'conflict.refused', code, reason: message }, 'conflict report refused');
    return { ok: false, code, message };
  }
}
