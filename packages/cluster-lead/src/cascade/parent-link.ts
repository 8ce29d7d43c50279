/**
 * The child side of the hierarchy: this lead's link to its parent. Every summary interval it
 * sends a signed SUMMARY as a NATS request on subjects.summary(parentId); the parent answers
 * with a signed HEARTBEAT_REPLY whose t2 and t3 are on the parent's clock, and the four stamps
 * feed shared's OffsetEstimator exactly as an agent's heartbeat does (t1 and t4 on this
 * lead's clock, kept locally; the reply echoes the summary's created_at in t1 and its
 * message_id in correlation_id, which is how a reply is matched). A refused summary (e.g. its
 * created_at outside the parent's replay window before the first exchange) still carries the
 * stamps, so the next one is in the window.
 */
import { MeshClock, OffsetEstimator, PROTOCOL_VERSION, ReplayGuard, encodeMessage, isKind, newMessageId, subjects, verifyAndParse } from '@mesh30k/shared';
import type { Clock, Ed25519, OffsetReport, Summary } from '@mesh30k/shared';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { CASCADE_EVENTS } from './events.js';
import type { ResolvedCascadeOptions } from './options.js';
import type { CascadeIdentity, ParentLead } from './ports.js';
import type { SubtreeFigures } from './summary.js';
import { frameHeaders, incomingFrame } from './wire.js';

export interface SummaryExchange {
  readonly accepted: boolean;
  readonly reason: string | null;
  /** Parent minus this lead's clock after the exchange, ms; null before any estimate. */
  readonly offset: OffsetReport | null;
  readonly delayMs: number;
}

export interface ParentLinkDeps {
  readonly clock: Clock;
  readonly identity: CascadeIdentity;
  readonly parent: ParentLead;
  readonly connection: NatsConnection;
  readonly ed25519: Ed25519;
  readonly options: ResolvedCascadeOptions;
  readonly logger: Logger;
  readonly figures: () => SubtreeFigures;
  readonly mode: () => Summary['mode'];
  readonly frozen: () => boolean;
}

export class ParentLink {
  /** Parent time as seen from this lead: the clock cascade T is converted with. */
  readonly parentClock: MeshClock;
  /** Replay guard for the parent's COORDINATEs, on the parent's time. */
  readonly replay: ReplayGuard;
  private timer: ReturnType<typeof setInterval> | undefined;
  private sent = 0;
  private accepted = 0;

  constructor(private readonly deps: ParentLinkDeps) {
    this.parentClock = new MeshClock({ local: deps.clock, estimator: new OffsetEstimator({ clock: deps.clock }) });
    this.replay = new ReplayGuard({ clock: this.parentClock });
  }

  get parentId(): string {
    return this.deps.parent.leadId;
  }

  /** The parent's key, for its COORDINATEs. */
  get resolveKey(): ParentLead['resolveKey'] {
    return this.deps.parent.resolveKey;
  }

  stats(): { sent: number; accepted: number; samples: number } {
    return { sent: this.sent, accepted: this.accepted, samples: this.parentClock.report()?.samples ?? 0 };
  }

  start(): void {
    if (this.timer !== undefined || !this.deps.options.timers) return;
    const tick = (): void => {
      this.sendSummary().catch((error: unknown) => this.deps.logger.warn({ event: CASCADE_EVENTS.summaryFailed, err: error, parent_id: this.parentId }, 'summary to parent failed'));
    };
    tick();
    this.timer = setInterval(tick, this.deps.options.summaryIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  buildSummary(): Summary {
    const { identity } = this.deps;
    const f = this.deps.figures();
    const now = this.parentClock.meshNow();
    return {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(now),
      sender_id: identity.leadId,
      created_at: now,
      ttl_ms: this.deps.options.summaryIntervalMs * this.deps.options.staleIntervals,
      kind: 'SUMMARY',
      lead_id: identity.leadId,
      cluster_id: identity.clusterId,
      ...(identity.sectorId === undefined ? {} : { sector_id: identity.sectorId }),
      agent_count: f.agentCount,
      by_state: f.byState,
      impedance: f.impedance,
      max_lead_time_ms: f.maxLeadTimeMs,
      mode: this.deps.mode(),
      frozen: this.deps.frozen(),
      capabilities: [...f.capabilities],
    };
  }

  /** One summary and clock exchange now. Throws when the parent cannot be reached or answers badly. */
  async sendSummary(): Promise<SummaryExchange> {
    const { clock, connection, identity } = this.deps;
    const summary = this.buildSummary();
    const frame = await encodeMessage(summary, identity.signer, identity.leadId);
    this.sent += 1;
    // t1 after signing: signing time must not count as network delay.
    const t1 = clock.now();
    const reply = await connection.request(subjects.summary(this.parentId), frame.body, { headers: frameHeaders(frame), timeout: this.deps.options.requestTimeoutMs });
    const t4 = clock.now();
    const verified = await verifyAndParse(incomingFrame(reply), { ed25519: this.deps.ed25519, resolveKey: this.deps.parent.resolveKey, accept: ['HEARTBEAT_REPLY'] });
    if (!verified.ok) throw new Error(`parent reply refused: ${verified.error.code} ${verified.error.message}`);
    const answer = verified.value.message;
    if (!isKind(answer, 'HEARTBEAT_REPLY') || answer.sender_id !== this.parentId) throw new Error('parent reply is not the parent\'s HEARTBEAT_REPLY');
    if (answer.correlation_id !== summary.message_id || answer.agent_id !== identity.leadId) throw new Error('parent reply answers another summary');
    const added = this.parentClock.estimator.addExchange({ t1, t2: answer.t2, t3: answer.t3, t4 });
    if (!added.ok) throw added.error;
    if (answer.accepted) this.accepted += 1;
    else this.deps.logger.info({ event: CASCADE_EVENTS.summaryRefused, parent_id: this.parentId, reason: answer.reason }, 'parent refused a summary (clock exchanged anyway)');
    this.deps.logger.debug({ event: CASCADE_EVENTS.summarySent, parent_id: this.parentId, accepted: answer.accepted, verdict: added.value.verdict }, 'summary sent');
    return { accepted: answer.accepted, reason: answer.reason ?? null, offset: this.parentClock.report(), delayMs: added.value.sample.delayMs };
  }
}
