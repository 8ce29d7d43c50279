import {
  ID_PATTERN,
  PROTOCOL_VERSION,
  REFUSAL,
  SESSION_HEADER,
  TAG_HEADER,
  WIRE_LIMITS,
  newMessageId,
  parseAuthenticated,
  sessionTagSync,
  subjects,
  tagsEqual,
  toBase64Url,
  fromBase64Url,
  type Clock,
  type SyncHmacSha256,
  type Heartbeat,
  type HeartbeatReply,
  type IncomingFrame,
  type MeshMode,
  type SignedFrame,
} from '@mesh30k/shared';
import { headers, type Msg, type NatsConnection } from 'nats';
import { LEAD_EVENTS, type EventBus, type RefusalCode } from '../lib/events.js';
import { describeError } from '../lib/errors.js';
import type { LimitCounters } from '../lib/limit-counters.js';
import { RateLimiter } from '../lib/rate-limiter.js';
import type { Logger } from '../lib/logger.js';
import { frameHeaders, frameOf } from '../nats/frames.js';
import { HandledSubscription } from '../nats/handled-subscription.js';
import { signBuilt } from '../nats/sign-built.js';
import type { Registry } from '../registry/index.js';
import type { LeadIdentity, TrustLookup } from '../trust/index.js';
import { enrollmentOf } from '../trust/index.js';
import type { ControlState } from './control-state.js';
import type { HeartbeatReplay } from './heartbeat-replay.js';
import type { IngestCounters } from './refusals.js';
import { IntakeQueue } from './intake-queue.js';
import { ReplyBatch } from './reply-batch.js';
import { heartbeatReplyJson } from './reply-json.js';
import type { LeadSession, SessionTable } from './session-table.js';
import type { FrameVerifier } from './verifier.js';

/** Leads share heartbeat subjects in this queue group, so a standby lead can take over. */
export const HEARTBEAT_QUEUE = 'leads';
/** At most one refusal event per code per window; the counters see every refusal. */
const REFUSAL_EVENT_WINDOW_MS = 10_000;
const MAX_REASON_CHARS = 512;
/** Refusal answers per claimed signer id and for the lead as a whole (ingest.refusals). */
export const DEFAULT_REFUSAL_LIMITS: RefusalLimits = { perSignerBurst: 5, perSignerPerSecond: 1, totalPerSecond: 1_000 };
const encoder = new TextEncoder();
/** Replies are held this long for others, so several go out in one socket write (issue 15). */
export const DEFAULT_REPLY_HOLD_MS = 1;
/**
 * At most this many held replies go out in one write: the replies built after a reply's t3 and
 * before the write wait after t3 (about 12 us each when tagged), a wait its clock sample sees.
 */
const REPLY_HOLD_MAX = 16;
/** A tagged reply's weight against replyBatchMax: 16 tagged replies (REPLY_HOLD_MAX) are worth 8 signed ones. */
const TAGGED_REPLY_WEIGHT = 1 / 2;
/** Longest the lead handles queued heartbeats before the event loop gets a turn, ms (intake-queue.ts). */
export const DEFAULT_INTAKE_SLICE_MS = 5;

export interface RefusalLimits {
  readonly perSignerBurst: number;
  readonly perSignerPerSecond: number;
  readonly totalPerSecond: number;
}

/**
 * What the lead answers a heartbeat with: a signed HEARTBEAT_REPLY, or, for a frame that failed
 * before the lead knew who sent it, a compact unsigned refusal `{"ok":false,"code","message"}`
 * (docs/protocol.md): signing an answer per forged frame would let a flood cost the lead an
 * Ed25519 signature each. An unsigned answer proves nothing, so agents never act on one.
 */
export type HeartbeatAnswer = SignedFrame | TaggedFrame | { readonly body: Uint8Array; readonly signed: false };

/** A reply to a session-keyed heartbeat: tagged under the session's lead->agent key, not signed. */
export interface TaggedFrame {
  readonly body: Uint8Array;
  readonly sessionId: string;
  readonly tag: string;
}

/** A heartbeat as it arrives: signed (Mesh-Signature), or tagged in a session (Mesh-Session, Mesh-Tag). */
export interface HeartbeatFrame extends IncomingFrame {
  sessionId?: string | null | undefined;
  tag?: string | null | undefined;
}

/** What the lead needs for session-keyed heartbeats (heartbeat.auth "session"). */
export interface SessionDeps {
  table: SessionTable;
  /** Synchronous, so a reply is tagged right after its t3 is stamped. */
  hmac: SyncHmacSha256;
  /** The trust store's version: when it moves, sessions of agents no longer enrolled end. */
  trustVersion(): number;
}
/** Refusals answered beyond the lead-wide refusal rate (still per signer): cheap, and each one stops its agent for a while. */
const UNLIMITED_REFUSALS: ReadonlySet<string> = new Set([REFUSAL.SESSION_UNKNOWN, 'OVERLOADED']);
/** Replay refusals that say the sender's clock disagrees with ours, not that the frame was seen. */
const CLOCK_REFUSALS: ReadonlySet<string> = new Set(['EXPIRED', 'FROM_THE_FUTURE']);

export interface HeartbeatIngestDeps {
  clock: Clock;
  events: EventBus;
  logger: Logger;
  registry: Registry;
  /** The trust store, or its cache: the sender's enrollment. */
  trust: TrustLookup;
  verifier: FrameVerifier;
  replay: HeartbeatReplay;
  control: ControlState;
  identity: LeadIdentity;
  counters: IngestCounters;
  /** Counts refusals left unanswered by the refusal rate limits. */
  limits?: LimitCounters;
  /**
   * HA leads (config `ha`): the lease epoch to stamp on replies, or null once the lease ran out,
   * when the lead answers nothing more. Absent: a single lead, no epoch.
   */
  leaseEpoch?: () => number | null;
  /** Present when the lead holds heartbeat sessions; without it a tagged beat is SESSION_UNKNOWN. */
  sessions?: SessionDeps;
}

export interface HeartbeatIngestOptions {
  heartbeatIntervalMs: number;
  replyTtlMs: number;
  /** Default DEFAULT_REFUSAL_LIMITS. */
  refusals?: RefusalLimits;
  /** How far the lead's clock moved across its last restart, when known (0: none or unknown). */
  clockStepMs?: number;
  /**
   * Subscribe in the HEARTBEAT_QUEUE group (default true). Off for HA leads (config `ha`): a
   * paused former holder still subscribed would get its share of a queue group's heartbeats and
   * never answer them, while a plain subscription lets the live lead answer every one.
   */
  queueGroup?: boolean;
  /** Signing time after which a batch's replies so far go to the socket (bounds the t3-to-write wait), ms. Default 1. */
  replyBudgetMs?: number;
  /** Signed replies after which a batch's replies so far go to the socket (a tagged one weighs TAGGED_REPLY_WEIGHT). Default 8 (about 1 ms of signing). */
  replyBatchMax?: number;
  /**
   * How long a reply waits for others before the batch of them is written, ms (default
   * DEFAULT_REPLY_HOLD_MS; 0: only the replies decided in one turn go together). The wait falls
   * between t2 and t3, so it is the lead's processing time in the clock sample.
   */
  replyHoldMs?: number;
  /**
   * Load shedding: with this many heartbeats already waiting for verification, a new one is
   * answered OVERLOADED with retry_after_ms at once, unverified (cheap), instead of joining a
   * queue whose replies would come too late to be of use. Absent: no shedding before the
   * verifier's own queue limit.
   */
  shed?: { backlog: number; retryAfterMs: number };
  /**
   * Heartbeats off the socket wait in the lead's own queue and are handled in slices of at most
   * `sliceMs` (default DEFAULT_INTAKE_SLICE_MS), so the API and timers get turns while beats
   * flow. One that waited there longer than `maxWaitMs` is shed (OVERLOADED, retry_after_ms)
   * instead of handled: a lead behind its input catches up. Absent maxWaitMs: none is shed.
   */
  intake?: { sliceMs?: number; maxWaitMs?: number };
  /**
   * SESSION_UNKNOWN answers carry a retry_after_ms: the window over which the agent opens its
   * new session (at a random moment in it), sending no signed beat before. The window is the
   * time the lead needs to open a session for each agent on record without one, at `perSecond`,
   * at most maxMs (rehandshakeWindowMs); none when they take under minMs. Absent (or none): no
   * retry_after_ms, and the agent sends the refused beat again at once, signed. Set by the
   * lead: after a restart at 30,000 agents, their signed beats on top of their handshakes kept
   * it behind its input for minutes, and handshakes spread over one interval came at ten times
   * the rate it opens sessions (issue 15).
   */
  rehandshake?: { minMs: number; maxMs: number; perSecond: number };
}

/**
 * The window to spread re-handshakes over: what `missing` sessions take at `perSecond`, at most
 * maxMs; undefined when that is under minMs. A lead that opens every missing session within
 * minMs can take the agents' signed beats meanwhile, and an agent told to wait keeps quiet: a
 * daemon resumed after a takeover missed the new lead's next operation while it waited (the
 * HA ops-failover test).
 */
export function rehandshakeWindowMs(missing: number, o: { minMs: number; maxMs: number; perSecond: number }): number | undefined {
  const needMs = (Math.max(0, missing) / o.perSecond) * 1_000;
  return needMs < o.minMs ? undefined : Math.round(Math.min(o.maxMs, needMs));
}

/** What a reply says, without t3: t3 is stamped when the reply is signed (or tagged). */
interface ReplyFields {
  /** Tag the reply in this session (the beat came in it), over the beat's seq; else sign it. */
  session?: { readonly session: LeadSession; readonly seq: number };
  agentId: string;
  accepted: boolean;
  reason?: string;
  reasonCode?: string;
  t1: number;
  t2: number;
  frozen: boolean;
}

/** The outcome of one heartbeat before its answer is signed: a signed reply to build, an unsigned refusal, or nothing. */
type Decision = { readonly fields: ReplyFields } | { readonly body: Uint8Array; readonly signed: false } | null;

/**
 * Heartbeat requests in, signed replies out. t2 is stamped the moment a request arrives,
 * before verification, so verification time counts as the lead's processing in the clock
 * exchange (it sits between t2 and t3) and not as network delay; t3 is stamped just before
 * the reply is signed and sent. Refusals are counted by code and never stop the lead. A frame
 * refused before its sender is known (bad frame, unknown or unenrolled signer, bad signature) is
 * answered unsigned; a later refusal (replay, wrong cluster) with a signed accepted=false. Either
 * answer needs a usable signer id, and is rate limited per signer id and in total: beyond that
 * the frame is dropped unanswered (counted, limit heartbeat_refusal_rate).
 */
export class HeartbeatIngest {
  private readonly intake: HandledSubscription;
  private readonly lastRefusalEvent = new Map<RefusalCode, { at: number; suppressed: number }>();
  private readonly perSigner: RateLimiter;
  private readonly total: RateLimiter;
  private readonly replies: ReplyBatch;
  private readonly queue: IntakeQueue<Msg>;
  /** Signed beats being verified (a stop waits for them). */
  private readonly verifying = new Set<Promise<void>>();
  private nc: NatsConnection | undefined;
  /** The trust store version the session table was last checked against. */
  private trustVersion: number | undefined;

  constructor(
    private readonly deps: HeartbeatIngestDeps,
    private readonly options: HeartbeatIngestOptions,
  ) {
    this.intake = new HandledSubscription({
      subject: subjects.heartbeat(deps.identity.leadId),
      ...(options.queueGroup === false ? {} : { queue: HEARTBEAT_QUEUE }),
      what: 'heartbeat',
      handle: (msg) => this.handle(msg),
      logger: deps.logger,
    });
    const limits = options.refusals ?? DEFAULT_REFUSAL_LIMITS;
    this.perSigner = new RateLimiter({ burst: limits.perSignerBurst, perSecond: limits.perSignerPerSecond });
    this.total = new RateLimiter({ burst: limits.totalPerSecond, perSecond: limits.totalPerSecond, maxKeys: 1 });
    this.replies = new ReplyBatch({
      budgetMs: options.replyBudgetMs ?? 1,
      maxReplies: options.replyBatchMax ?? 8,
      holdMs: options.replyHoldMs ?? DEFAULT_REPLY_HOLD_MS,
      holdMax: REPLY_HOLD_MAX,
      flush: () => void this.nc?.flush().catch(() => undefined),
      onError: (error) => this.deps.logger.error({ err: describeError(error) }, 'heartbeat reply failed'),
    });
    this.queue = new IntakeQueue<Msg>({
      sliceMs: options.intake?.sliceMs ?? DEFAULT_INTAKE_SLICE_MS,
      ...(options.intake?.maxWaitMs === undefined ? {} : { maxWaitMs: options.intake.maxWaitMs }),
      clockNow: () => deps.clock.now(),
      handle: (msg, receivedAt) => this.handleNow(msg, receivedAt),
      shed: (msg, receivedAt, waitedMs) => this.shedLate(msg, receivedAt, waitedMs),
      onError: (error) => this.deps.logger.error({ err: describeError(error) }, 'heartbeat handling failed'),
    });
  }

  /** Heartbeats read off the socket and not yet handled (the guard rails count them as backlog). */
  get queued(): number {
    return this.queue.length;
  }

  /** Subscribes; resolves once the server has the subscription (heartbeats can reach us). */
  async subscribe(nc: NatsConnection): Promise<void> {
    if (this.intake.active) return;
    this.nc = nc;
    await this.intake.open(nc);
  }

  /** Stops taking heartbeats and waits for those already being handled. */
  async stop(): Promise<void> {
    await this.intake.close();
    this.queue.drainNow();
    await Promise.all([...this.verifying]);
    this.replies.runNow();
  }

  /** One heartbeat off the wire: t2 is stamped now, and it joins the intake queue (handled in order, in slices). */
  private handle(msg: Msg): undefined {
    this.queue.push(msg, this.deps.clock.now());
    return undefined;
  }

  /**
   * A heartbeat's turn in the intake queue. Its answer joins the batch of replies being held:
   * the frames of one verify batch resolve together, and replies of several socket reads go out
   * together. A session-keyed beat needs no verify hop, so it is decided at once, without a promise.
   */
  private handleNow(msg: Msg, receivedAt: number): void {
    const frame = heartbeatFrameOf(msg);
    if (frame.sessionId) {
      this.queueReply(msg, this.decideTagged(frame, frame.sessionId, receivedAt));
      return;
    }
    const work = this.decide(frame, receivedAt)
      .then((decision) => this.queueReply(msg, decision))
      .catch((error: unknown) => this.deps.logger.error({ err: describeError(error) }, 'heartbeat handling failed'));
    this.verifying.add(work);
    void work.finally(() => this.verifying.delete(work));
  }

  /**
   * A beat that waited too long in the intake queue: answered OVERLOADED with retry_after_ms,
   * unread (cheap), and counted as shed, which the guard rails take as the lead's own slowness.
   * A session-keyed beat keeps its session: nothing about it was judged.
   */
  private shedLate(msg: Msg, receivedAt: number, waitedMs: number): void {
    const frame = heartbeatFrameOf(msg);
    // A beat on a session this lead does not hold is told so even now (one lookup, an answer as
    // small): told OVERLOADED, its agent kept the dead session and beat into it, and after a
    // restart at 30,000 agents most never learnt they had to open a new one (issue 15).
    const found = frame.sessionId ? this.lookUpSession(frame.sessionId, frame.signerId ?? null, receivedAt) : undefined;
    if (found !== undefined && 'refusal' in found) return this.queueReply(msg, found.refusal);
    this.deps.limits?.hit('heartbeat_shed');
    const message = `the lead is behind its input (this heartbeat waited ${Math.round(waitedMs)} ms to be read); beat again later`;
    this.queueReply(msg, this.refuseUnknown('OVERLOADED', message, frame.signerId ?? null, receivedAt));
  }

  private queueReply(msg: Msg, decision: Decision): void {
    if (decision === null) return;
    this.replies.add(() => {
      // Past its lease (paused, cut off) a lead says nothing more: its successor answers.
      if (this.deps.leaseEpoch?.() === null) return;
      const reply = this.answerOf(decision);
      if ('signature' in reply) msg.respond(reply.body, { headers: frameHeaders(reply) });
      else if ('tag' in reply) msg.respond(reply.body, { headers: taggedHeaders(reply) });
      else msg.respond(reply.body);
    }, 'fields' in decision ? (decision.fields.session === undefined ? 1 : TAGGED_REPLY_WEIGHT) : 0);
  }

  /** The transport-independent core: one frame in, the reply (or none) out. */
  async process(frame: HeartbeatFrame, receivedAt: number): Promise<HeartbeatAnswer | null> {
    const decision = await this.decide(frame, receivedAt);
    return decision === null ? null : this.answerOf(decision);
  }

  /** A decision's answer: unsigned as it is, or signed now with t3 stamped now. */
  private answerOf(decision: NonNullable<Decision>): HeartbeatAnswer {
    return 'fields' in decision ? this.reply(decision.fields) : decision;
  }

  private async decide(frame: HeartbeatFrame, receivedAt: number): Promise<Decision> {
    if (frame.sessionId) return this.decideTagged(frame, frame.sessionId, receivedAt);
    const shed = this.options.shed;
    const backlog = this.deps.verifier.backlog ?? 0;
    if (shed !== undefined && backlog >= shed.backlog) {
      this.deps.limits?.hit('heartbeat_shed');
      return this.refuseUnknown('OVERLOADED', `the lead is overloaded (${backlog} heartbeats waiting for verification); beat again later`, frame.signerId ?? null, receivedAt);
    }
    const verified = await this.deps.verifier.verify(frame);
    if (!verified.ok) return this.refuseUnknown(verified.error.code, verified.error.message, frame.signerId ?? null, receivedAt);
    const heartbeat = verified.value.message as Heartbeat;
    const fresh = this.deps.replay.check(heartbeat);
    if (!fresh.ok) return this.refuseStale(heartbeat, fresh.error, frame.signerId === heartbeat.agent_id, receivedAt);
    return this.admit(heartbeat, receivedAt);
  }

  /**
   * A session-keyed heartbeat (docs/adr/0004): session known and live, tag right, then the
   * bytes are parsed and the seq must pass the session's replay window. No Ed25519 at all;
   * the tag checks before anything is parsed. A reordered beat inside the window is answered
   * (its clock exchange is as good as any) but not recorded: the registry keeps newer state.
   */
  private decideTagged(frame: HeartbeatFrame, sessionId: string, receivedAt: number): Decision {
    const found = this.lookUpSession(sessionId, frame.signerId ?? null, receivedAt);
    if ('refusal' in found) return found.refusal;
    const { session, sessions } = found;
    if (frame.body.byteLength > WIRE_LIMITS.maxFrameBytes) return this.refuseUnknown('OVERSIZED', `heartbeat is ${frame.body.byteLength} bytes`, session.agentId, receivedAt);
    if (!frame.tag || !tagMatches(sessions.hmac, session.agentToLead, sessionId, frame.body, frame.tag)) {
      return this.refuseUnknown(REFUSAL.BAD_TAG, `the session tag does not match the bytes of session "${sessionId}"`, session.agentId, receivedAt);
    }
    const parsed = parseAuthenticated(frame.body, session.agentId, { accept: ['HEARTBEAT'] });
    if (!parsed.ok) return this.refuseUnknown(parsed.error.code, parsed.error.message, session.agentId, receivedAt);
    const heartbeat = parsed.value.message as Heartbeat;
    const tagged = { session, seq: heartbeat.seq };
    const verdict = session.take(heartbeat.seq);
    if (verdict === 'replayed' || verdict === 'too_old') {
      const why = verdict === 'replayed' ? 'was already received in this session' : `is older than the session's window (highest ${session.highest})`;
      return this.refuse('REPLAYED', `seq ${heartbeat.seq} ${why}`, heartbeat.agent_id, receivedAt, heartbeat.t1, tagged);
    }
    sessions.table.used(session);
    const fresh = verdict === 'new' ? this.deps.replay.checkTagged(heartbeat) : this.deps.replay.checkAge(heartbeat);
    if (!fresh.ok) return this.refuseStale(heartbeat, fresh.error, true, receivedAt, tagged);
    if (verdict === 'reordered') {
      this.deps.counters.reordered++;
      const enrollment = enrollmentOf(this.deps.trust, heartbeat.agent_id);
      const frozen = enrollment === undefined ? this.deps.control.frozenAnywhere : this.deps.control.isFrozen(enrollment.cluster_id, enrollment.sector_id);
      return { fields: { session: tagged, agentId: heartbeat.agent_id, accepted: true, t1: heartbeat.t1, t2: receivedAt, frozen } };
    }
    return this.admit(heartbeat, receivedAt, tagged);
  }

  /** The live session a beat names, or the SESSION_UNKNOWN answer when this lead does not hold it (none in ed25519 mode). */
  private lookUpSession(sessionId: string, claimed: string | null, receivedAt: number): { session: LeadSession; sessions: SessionDeps } | { refusal: Decision } {
    const sessions = this.deps.sessions;
    if (sessions === undefined) return { refusal: this.refuseUnknown(REFUSAL.SESSION_UNKNOWN, 'this lead holds no heartbeat sessions (heartbeat.auth is ed25519); sign heartbeats', claimed, receivedAt) };
    this.syncTrust(sessions);
    const session = sessions.table.get(sessionId, receivedAt);
    if (session !== undefined) return { session, sessions };
    return { refusal: this.refuseUnknown(REFUSAL.SESSION_UNKNOWN, `session "${sessionId.slice(0, 64)}" is not known here (expired, dropped, or the lead restarted); open a new one`, claimed, receivedAt) };
  }

  /** When the trust store changed since the last look, agents no longer enrolled lose their sessions at once. */
  private syncTrust(sessions: SessionDeps): void {
    const version = sessions.trustVersion();
    if (version === this.trustVersion) return;
    this.trustVersion = version;
    const gone = sessions.table.dropAgentsWhere((agentId) => enrollmentOf(this.deps.trust, agentId) === undefined);
    for (const agentId of gone) this.deps.logger.info({ agentId }, 'heartbeat session dropped: the agent is no longer enrolled');
  }

  /** A beat refused for its timestamp or sequence. */
  private refuseStale(heartbeat: Heartbeat, error: { code: RefusalCode; message: string }, ownSender: boolean, receivedAt: number, tagged?: ReplyFields['session']): Decision {
    // Authenticated as the agent itself, only its clock is off (a lead restarted on a stepped clock):
    // alive, and the refusal's t2/t3 re-synchronise it (see Registry.heardDespiteClock).
    if (CLOCK_REFUSALS.has(error.code) && ownSender) {
      const provenFresh = this.deps.replay.freshBeforeStep(heartbeat, this.options.clockStepMs ?? 0);
      this.deps.registry.heardDespiteClock(heartbeat.agent_id, receivedAt, provenFresh);
    }
    return this.refuse(error.code, error.message, heartbeat.agent_id, receivedAt, heartbeat.t1, tagged);
  }

  /** An authentic, fresh heartbeat: checked against the sender's enrollment, then recorded. */
  private admit(heartbeat: Heartbeat, receivedAt: number, tagged?: ReplyFields['session']): Decision {
    const enrollment = enrollmentOf(this.deps.trust, heartbeat.agent_id);
    if (enrollment === undefined) {
      if (tagged !== undefined) this.deps.sessions?.table.dropAgent(heartbeat.agent_id);
      return this.refuse('NOT_ENROLLED', `"${heartbeat.agent_id}" is no longer enrolled`, heartbeat.agent_id, receivedAt, heartbeat.t1, tagged);
    }
    if (heartbeat.cluster_id !== enrollment.cluster_id || heartbeat.impedance.cluster_id !== enrollment.cluster_id) {
      const message = `heartbeat names cluster "${heartbeat.cluster_id}"; "${heartbeat.agent_id}" is enrolled in "${enrollment.cluster_id}"`;
      return this.refuse('WRONG_CLUSTER', message, heartbeat.agent_id, receivedAt, heartbeat.t1, tagged);
    }
    if (heartbeat.impedance.agent_id !== heartbeat.agent_id) {
      return this.refuse('SIGNER_MISMATCH', `impedance.agent_id "${heartbeat.impedance.agent_id}" is not the sender`, heartbeat.agent_id, receivedAt, heartbeat.t1, tagged);
    }
    this.deps.registry.recordHeartbeat(heartbeat, { receivedAt, enrollment });
    this.deps.counters.accepted++;
    if (tagged !== undefined) this.deps.counters.acceptedInSession++;
    const frozen = this.deps.control.isFrozen(enrollment.cluster_id, enrollment.sector_id);
    return { fields: { session: tagged, agentId: heartbeat.agent_id, accepted: true, t1: heartbeat.t1, t2: receivedAt, frozen } };
  }

  /**
   * When an unsigned refusal tells its agent to come back. OVERLOADED is temporary (the agent
   * ends its start-up burst on it). SESSION_UNKNOWN, when configured and many sessions are
   * missing: the window to open the new session in, with no signed beat before.
   */
  private retryAfterMs(code: RefusalCode): number | undefined {
    if (code === 'OVERLOADED') return this.options.shed?.retryAfterMs ?? this.options.heartbeatIntervalMs;
    const { rehandshake } = this.options;
    const sessions = this.deps.sessions;
    if (code !== REFUSAL.SESSION_UNKNOWN || rehandshake === undefined || sessions === undefined) return undefined;
    return rehandshakeWindowMs(this.deps.registry.size - sessions.table.agentsInSession, rehandshake);
  }

  /** Refused before the sender is known: a compact unsigned answer, when the rate allows one. */
  private refuseUnknown(code: RefusalCode, message: string, signerId: string | null, receivedAt: number): Decision {
    if (!this.countRefusal(code, message, signerId, receivedAt)) return null;
    const retryAfterMs = this.retryAfterMs(code);
    const retry = retryAfterMs === undefined ? {} : { retry_after_ms: retryAfterMs };
    return { body: encoder.encode(JSON.stringify({ ok: false, code, message: message.slice(0, MAX_REASON_CHARS), ...retry })), signed: false };
  }

  /** Refused after the sender was authenticated: a signed (or tagged) accepted=false, when the rate allows one. */
  private refuse(code: RefusalCode, message: string, agentId: string, receivedAt: number, t1: number, tagged?: ReplyFields['session']): Decision {
    if (!this.countRefusal(code, message, agentId, receivedAt)) return null;
    const reason = `${code}: ${message}`.slice(0, MAX_REASON_CHARS);
    return { fields: { session: tagged, agentId, accepted: false, reason, reasonCode: code, t1, t2: receivedAt, frozen: this.deps.control.frozenAnywhere } };
  }

  /** Counts a refusal; true when it may be answered (a usable signer id, within the refusal rates). */
  private countRefusal(code: RefusalCode, message: string, signerId: string | null, at: number): boolean {
    this.deps.counters.refuse(code);
    this.reportRefusal(code, message, signerId, at);
    // An answer needs an agent id; a frame without a usable signer id gets none.
    if (signerId === null || !ID_PATTERN.test(signerId)) return false;
    // SESSION_UNKNOWN and OVERLOADED are exempt from the lead-wide rate (not the per-signer one):
    // after a restart every agent must hear SESSION_UNKNOWN once, or it keeps beating into a
    // session nobody holds; a shed beat left unanswered times out at its agent and is sent again
    // at once instead of after retry_after_ms (issue 15). Either answer is a few unsigned bytes.
    const exempt = UNLIMITED_REFUSALS.has(code);
    if ((!exempt && !this.total.peek('all', at).ok) || !this.perSigner.take(signerId, at).ok) {
      this.deps.limits?.hit('heartbeat_refusal_rate');
      return false;
    }
    if (!exempt) this.total.take('all', at);
    return true;
  }

  /** Builds and signs (or tags) a reply; t3 is stamped here, just before the signature, so it is as late as it can be. */
  private reply(fields: ReplyFields): SignedFrame | TaggedFrame {
    const mode: MeshMode = this.deps.registry.mode;
    const leaseEpoch = this.deps.leaseEpoch?.();
    const t3 = this.deps.clock.now();
    const reply: HeartbeatReply = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(t3),
      sender_id: this.deps.identity.leadId,
      created_at: t3,
      ttl_ms: this.options.replyTtlMs,
      kind: 'HEARTBEAT_REPLY',
      agent_id: fields.agentId,
      accepted: fields.accepted,
      // Absent fields are undefined, which JSON leaves out: conditional spreads here put V8 on
      // a slow path for every reply (issue 15), and the bytes are the same.
      reason: fields.reason,
      reason_code: fields.reasonCode,
      t1: fields.t1,
      t2: fields.t2,
      t3,
      frozen: fields.frozen,
      config_epoch: this.deps.control.configEpoch,
      mode,
      heartbeat_interval_ms: this.options.heartbeatIntervalMs,
      lease_epoch: typeof leaseEpoch === 'number' ? leaseEpoch : undefined,
    };
    const sessions = this.deps.sessions;
    if (fields.session !== undefined && sessions !== undefined) {
      // Built by the lead itself, so not re-validated (as signBuilt); tagged over the beat's seq.
      const { session, seq } = fields.session;
      const body = encoder.encode(heartbeatReplyJson(reply));
      return { body, sessionId: session.id, tag: toBase64Url(sessionTagSync(sessions.hmac, session.leadToAgent, session.id, seq, body)) };
    }
    return signBuilt(reply, this.deps.identity.signer, this.deps.identity.leadId);
  }

  private reportRefusal(code: RefusalCode, message: string, signerId: string | null, at: number): void {
    const last = this.lastRefusalEvent.get(code);
    if (last !== undefined && at - last.at < REFUSAL_EVENT_WINDOW_MS) {
      last.suppressed++;
      return;
    }
    this.lastRefusalEvent.set(code, { at, suppressed: 0 });
    const safeSigner = signerId !== null && ID_PATTERN.test(signerId) ? signerId : null;
    this.deps.events.emit({ name: LEAD_EVENTS.heartbeatRefused, at, code, signerId: safeSigner, message, suppressed: last?.suppressed ?? 0 });
  }
}

/** A heartbeat's bytes and whichever authentication headers it carries. */
export function heartbeatFrameOf(msg: Msg): HeartbeatFrame {
  const frame: HeartbeatFrame = frameOf(msg);
  const sessionId = msg.headers?.get(SESSION_HEADER);
  if (sessionId) {
    frame.sessionId = sessionId;
    frame.tag = msg.headers?.get(TAG_HEADER) || null;
  }
  return frame;
}

function taggedHeaders(reply: TaggedFrame) {
  const h = headers();
  h.set(SESSION_HEADER, reply.sessionId);
  h.set(TAG_HEADER, reply.tag);
  return h;
}

/** The heartbeat tag check; false for a tag that is not 32 bytes of base64url. */
function tagMatches(hmac: SyncHmacSha256, key: Uint8Array, sessionId: string, body: Uint8Array, tagText: string): boolean {
  let given: Uint8Array;
  try {
    given = fromBase64Url(tagText);
  } catch {
    return false;
  }
  return tagsEqual(sessionTagSync(hmac, key, sessionId, undefined, body), given);
}
