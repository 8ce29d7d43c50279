import { performance } from 'node:perf_hooks';
import { Heartbeat as HeartbeatSchema, REFUSAL, SIGNATURE_HEADER, TAG_HEADER, randomToken, type Heartbeat, type HeartbeatReply, type HmacSha256, type ImpedanceProfiler, type SessionCrypto, type MeshMode, type SensorSummary } from '@mesh30k/shared';
import type { EnrollmentHooks } from '../enrollment/enrollment-waiter.js';
import type { DiscoveryResult } from '../enrollment/lead-discovery.js';
import { messageHeader, type AgentContext } from '../agent/context.js';
import { countCode } from '../agent/counters.js';
import { checkLeaseEpoch } from '../coordination/lease-fence.js';
import { LogEvent } from '../logging/events.js';
import { isBusError } from '../nats/errors.js';
import { checkKind, encodeFrame, parseUnsignedRefusal, subjectOf, verifyOn } from '../nats/frames.js';
import type { HealthSampler } from '../ports.js';
import type { BeatTask } from './scheduler.js';
import { HeartbeatSession, retryAfterWaitMs, type HeartbeatAuth } from './heartbeat-session.js';

/** What the heartbeat reads from the rest of the agent. */
export interface HeartbeatDeps {
  ctx: AgentContext;
  profiler: ImpedanceProfiler;
  health: Pick<HealthSampler, 'latest'>;
  frozen(): boolean;
  /** FreezeState.version: captured when a beat leaves, returned with its hints. */
  freezeVersion(): number;
  outboxDepth(): number;
  /** Last value of each sensor; empty without sensors. */
  sensors?(): SensorSummary[];
  random(): number;
  /** Whether a fast start-up beat may go now (a shared budget caps a fleet's burst); default yes. */
  burstAllowed?(): boolean;
  /** The lead's reply carried control hints; the agent applies them. */
  onHints(hints: HeartbeatHints): void;
  /** Told when the lead does not know this agent (NOT_ENROLLED) and when it accepts a beat again. */
  enrollment?: EnrollmentHooks | undefined;
  /** Learns the lead's key before a beat when only the mesh root is pinned. */
  leadKey?: { ensure(): Promise<DiscoveryResult>; doubt?(): void } | undefined;
  /** `session` (default): tag beats in an Ed25519-rooted session once one is open; `ed25519`: sign every beat. */
  auth?: HeartbeatAuth;
  /** HMAC-SHA256 for session tags (node:crypto in Node). Required for `session`. */
  hmac?: HmacSha256;
  /** The session key exchange's primitives (WebCrypto when absent). */
  sessionCrypto?: SessionCrypto;
  /** Schema-check every tagged beat before it leaves (default), or only the first (sims). */
  selfCheck?: 'every' | 'first';
}

/** Unsigned refusals of a tagged beat after which its session is of no more use. */
const SESSION_LOST_CODES: ReadonlySet<string> = new Set([REFUSAL.SESSION_UNKNOWN, REFUSAL.BAD_TAG]);

/** Refusals that mean "this lead does not know your key": the agent asks to join. */
const NOT_KNOWN_CODES: ReadonlySet<string> = new Set(['NOT_ENROLLED']);

export interface HeartbeatHints {
  frozen: boolean;
  /** The freeze version when the beat left; a later FREEZE/THAW wins over this reply. */
  freezeVersion: number;
  mode: MeshMode;
  intervalMs: number | undefined;
}

/** Why a beat produced no clock sample. */
export type MissReason = 'NOT_CONNECTED' | 'PREVIOUS_PENDING' | 'TIMEOUT' | 'NO_RESPONDERS' | 'CLOSED' | 'FAILED' | 'BAD_REPLY' | 'REFUSED_UNSIGNED' | 'LEAD_UNKNOWN';

/**
 * Why a beat was held back, not sent: no session yet and its handshake pending (in flight, or
 * shed or timed out and not due again), or the lead shed a signed beat and its retry_after_ms
 * has not passed. Counted apart from the misses, logged at debug only (every boot has some).
 */
export type HoldReason = 'AWAITING_SESSION' | 'LEAD_BUSY';

/** How the last beat ended, for the status command. */
export type BeatResult = 'ok' | 'timeout' | 'no_responders' | 'refused' | 'error';

export interface LastBeat {
  /** Wall-clock ms (Date.now()) when it ended. */
  at: number;
  result: BeatResult;
}

/**
 * A beat that timed out is followed by the next after this many intervals, until one is
 * answered: a lead that fell behind (its replies seconds late, every beat EXPIRED by the time it
 * is read: issue 15 at 30,000 agents) is asked half as often until it catches up. Two intervals
 * stay within the lead's liveness deadline (3 intervals, widened while it is impaired).
 */
export const TIMEOUT_STRETCH = 2;

/**
 * Whether an unsigned refusal stretches the next beat to TIMEOUT_STRETCH intervals, as a timeout
 * does: a session-keyed beat the lead shed (OVERLOADED: it is behind its input). The session
 * stands (only SESSION_UNKNOWN or BAD_TAG end it), and the agent asks half as often until a beat
 * is answered, which is what lets the lead catch up. A forged answer costs no more than one
 * stretched interval, within the lead's liveness deadline, like a dropped reply.
 */
export function shedStretchesNextBeat(f: { code: string | undefined; tagged: boolean }): boolean {
  return f.tagged && f.code === 'OVERLOADED';
}

/** The wait until the next beat before jitter: the burst interval, the interval, or TIMEOUT_STRETCH of it after a timeout. */
export function beatBaseMs(f: { fast: boolean; burstIntervalMs: number; intervalMs: number; timedOut: boolean }): number {
  if (f.fast) return Math.min(f.burstIntervalMs, f.intervalMs);
  return f.intervalMs * (f.timedOut ? TIMEOUT_STRETCH : 1);
}

/**
 * Whether the next beat comes at the burst interval: until the clock has `burstSamples` samples,
 * but never more than `burstSamples` fast beats in a run (a busy lead's answers may make poor
 * samples the clock refuses, and a fleet kept at the burst rate doubled its load: issue 15),
 * and not while the lead refused or did not answer the last beat.
 */
export function fastBeatDue(f: { refused: boolean; samples: number; burstSamples: number; fastBeatsTaken: number }): boolean {
  return !f.refused && f.samples < f.burstSamples && f.fastBeatsTaken < f.burstSamples;
}

/** State key of the first sequence number the next start may use. */
export const SEQ_FLOOR_KEY = 'heartbeat.seq_floor';
/**
 * Sequence numbers are reserved in blocks: the floor is written once per block, not per beat
 * (SD cards wear), and a restart continues above anything the last run could have sent.
 */
export const SEQ_BLOCK = 1_000;

function resultOf(reason: MissReason): BeatResult {
  switch (reason) {
    case 'TIMEOUT':
      return 'timeout';
    case 'NO_RESPONDERS':
      return 'no_responders';
    case 'REFUSED_UNSIGNED':
      return 'refused';
    case 'NOT_CONNECTED':
    case 'PREVIOUS_PENDING':
    case 'CLOSED':
    case 'FAILED':
    case 'BAD_REPLY':
    case 'LEAD_UNKNOWN':
      return 'error';
  }
}

/**
 * One agent's heartbeat: a signed HEARTBEAT request to its lead carrying the impedance record,
 * the clock report, system health (the sampler's latest, never awaited), the frozen flag and
 * the outbox depth; the verified reply feeds the clock filter and carries control hints.
 * A missed beat is counted and logged, never fatal; nothing is sent while disconnected.
 */
export class HeartbeatTask implements BeatTask {
  /** Drawn at start: with seq, it makes any earlier heartbeat of this agent detectable. */
  readonly bootId = randomToken(22);
  private seq: number;
  private seqCeiling = 0;
  private pending = false;
  private missing = false;
  /** The last beat was refused or not answered in time: beat at the full interval, not the start-up burst. */
  private refused = false;
  private refusalLogged = false;
  private intervalMs: number;
  private lastOkAt: number | undefined;
  private last: LastBeat | undefined;
  /** Present in session mode. */
  private readonly session: HeartbeatSession | undefined;
  /** A tagged beat passed the schema check (selfCheck 'first' skips it from then on). */
  private selfChecked = false;
  /** The last beat went unanswered (TIMEOUT), or the lead shed it in session: the next waits TIMEOUT_STRETCH intervals. */
  private timedOut = false;
  /** Beats scheduled at the burst interval so far (at most burstSamples: fastBeatDue). */
  private fastBeatsTaken = 0;
  /** Local clock: the lead shed a signed beat; none goes before this (its retry_after_ms, jittered). */
  private busyUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: HeartbeatDeps) {
    this.intervalMs = deps.ctx.tuning.heartbeatIntervalMs;
    if ((deps.auth ?? 'session') === 'session') {
      if (deps.hmac === undefined) throw new TypeError('heartbeat auth "session" needs an HMAC-SHA256 (deps.hmac)');
      this.session = new HeartbeatSession({ ctx: deps.ctx, hmac: deps.hmac, ...(deps.sessionCrypto === undefined ? {} : { sessionCrypto: deps.sessionCrypto }), random: () => deps.random(), bootId: this.bootId, intervalMs: () => this.intervalMs });
    }
    const floor = deps.ctx.state.get<number>(SEQ_FLOOR_KEY);
    this.seq = typeof floor === 'number' && Number.isSafeInteger(floor) && floor >= 0 ? floor : 0;
  }

  /** The next sequence number, reserving a new block first when this one is used up. */
  private nextSeq(): number {
    if (this.seq >= this.seqCeiling) {
      const ceiling = this.seq + SEQ_BLOCK;
      try {
        this.deps.ctx.state.set(SEQ_FLOOR_KEY, ceiling);
      } catch (error) {
        // Not fatal: a restart then counts from the last stored floor, and the lead asks for a fresh boot heartbeat.
        this.deps.ctx.log.error({ event: LogEvent.HEARTBEAT_MISSED, err: error }, 'could not store the heartbeat sequence floor');
      }
      this.seqCeiling = ceiling;
    }
    return this.seq++;
  }

  /** The open heartbeat session's id, for status and tests; undefined when beats are signed. */
  get sessionId(): string | undefined {
    return this.session?.id;
  }

  /** Cancels a scheduled session handshake (the agent stops). */
  close(): void {
    this.session?.close();
  }

  get interval(): number {
    return this.intervalMs;
  }

  /** Local time of the last answered beat. */
  get lastAnsweredAt(): number | undefined {
    return this.lastOkAt;
  }

  get lastBeat(): LastBeat | undefined {
    return this.last;
  }

  /** Applies an interval the lead asked for, within the configured bounds; true when it changed. */
  setInterval(ms: number): boolean {
    const { minHeartbeatIntervalMs, maxHeartbeatIntervalMs } = this.deps.ctx.tuning;
    const bounded = Math.min(maxHeartbeatIntervalMs, Math.max(minHeartbeatIntervalMs, ms));
    if (bounded === this.intervalMs) return false;
    this.intervalMs = bounded;
    return true;
  }

  nextIntervalMs(): number {
    const { tuning } = this.deps.ctx;
    const due = fastBeatDue({ refused: this.refused, samples: this.deps.ctx.clock.samples(), burstSamples: tuning.burstSamples, fastBeatsTaken: this.fastBeatsTaken });
    const burst = due && (this.deps.burstAllowed?.() ?? true);
    if (burst) this.fastBeatsTaken++;
    const base = beatBaseMs({ fast: burst, burstIntervalMs: tuning.burstIntervalMs, intervalMs: this.intervalMs, timedOut: this.timedOut });
    return base * (1 + (this.deps.random() * 2 - 1) * tuning.heartbeatJitter);
  }

  beat(): void {
    const { ctx } = this.deps;
    if (!ctx.bus.connected) return this.miss('NOT_CONNECTED');
    if (this.pending) return this.miss('PREVIOUS_PENDING');
    this.pending = true;
    this.exchange()
      .catch((error: unknown) => {
        ctx.log.error({ event: LogEvent.HEARTBEAT_MISSED, err: error }, 'heartbeat failed unexpectedly');
        this.miss('FAILED');
      })
      .finally(() => {
        this.pending = false;
      });
  }

  private build(t1: number): Heartbeat {
    const { ctx, profiler } = this.deps;
    const meshAtT1 = ctx.clock.toMesh(t1);
    const sensors = this.deps.sensors?.() ?? [];
    const header = messageHeader(ctx, meshAtT1);
    // One literal, keys in the wire's order: spreading the header and the optional sensors
    // into it made V8 build the object on its slow path (about 13 us a beat, bench:sim).
    const heartbeat: Heartbeat = {
      v: header.v,
      message_id: header.message_id,
      sender_id: header.sender_id,
      created_at: header.created_at,
      ttl_ms: header.ttl_ms,
      kind: 'HEARTBEAT',
      agent_id: ctx.identity.agentId,
      cluster_id: ctx.identity.clusterId,
      seq: this.nextSeq(),
      boot_id: this.bootId,
      t1,
      impedance: profiler.snapshot(meshAtT1),
      clock: ctx.clock.report(),
      health: this.deps.health.latest(),
      frozen: this.deps.frozen(),
      outbox_depth: this.deps.outboxDepth(),
    };
    if (sensors.length > 0) heartbeat.sensors = sensors;
    return heartbeat;
  }

  private async exchange(): Promise<void> {
    const { ctx } = this.deps;
    const freezeVersion = this.deps.freezeVersion();
    const leadKey = await this.deps.leadKey?.ensure();
    if (leadKey !== undefined && !leadKey.ok) return this.miss('LEAD_UNKNOWN', `${leadKey.code}: ${leadKey.message}`);
    if (leadKey?.ok === true && leadKey.learnt) ctx.log.info({ event: LogEvent.LEAD_KEY_LEARNT, lead: ctx.identity.leadId }, 'lead key learnt from its root-signed enrollment');
    // A session tags the beat; without one (none opened yet) it is signed, unless the lead is
    // to be spared signed beats for now.
    const session = this.session?.current();
    if (session === undefined) {
      if (this.session?.holdsSignedBeats() === true) return this.hold('AWAITING_SESSION');
      if (ctx.clock.localNow() < this.busyUntil) return this.hold('LEAD_BUSY');
    }
    // The body's t1 names the beat (the lead echoes it) and dates the clock report inside it.
    const t1 = ctx.clock.localNow();
    const heartbeat = this.build(t1);
    const route = { family: 'heartbeat', id: ctx.identity.leadId } as const;
    checkKind(route.family, heartbeat.kind);
    const frame = session === undefined ? await encodeFrame(heartbeat, ctx.self) : await this.encodeTagged(heartbeat, session);
    // The exchange's own stamps sit at the wire: t1 after building and signing, just before the
    // request leaves; t4 when the client handed the reply over, not after the awaits since.
    // Work between a stamp and the wire would count as path delay on one side only.
    let t1Wire: number;
    let t4: number;
    let reply;
    try {
      t1Wire = ctx.clock.localNow();
      ctx.counters.heartbeatsRequested++;
      reply = await ctx.bus.request(subjectOf(route), frame.data, { timeoutMs: ctx.tuning.heartbeatTimeoutMs, headers: frame.headers });
      t4 = ctx.clock.localNow() - (performance.now() - reply.arrivedAt);
      // Answered in time (whatever the answer): the lead keeps up, beats go at the interval again.
      this.timedOut = false;
    } catch (error) {
      if (isBusError(error)) return this.miss(error.code);
      throw error;
    }
    if (session !== undefined && reply.headers.get(TAG_HEADER)) {
      const read = await this.session!.readReply(session, heartbeat.seq, reply);
      if (!read.ok) return this.miss('BAD_REPLY', read.reason);
      return this.onVerifiedReply(read.reply, { t1, t1Wire, t4, seq: heartbeat.seq, freezeVersion });
    }
    if (!reply.headers.get(SIGNATURE_HEADER)) {
      // The lead refused the beat before it knew the sender, and did not spend a signature on
      // the answer. Unsigned, it proves nothing: it is logged and counted, and changes no state.
      const refusal = parseUnsignedRefusal(reply.data);
      ctx.counters.heartbeatsRejected++;
      // An unknown key is refused before the lead knows the sender: asking to be enrolled is
      // all the agent does on it, and a forged answer can cost no more than one join request.
      if (!refusal.ok && NOT_KNOWN_CODES.has(refusal.code) && this.deps.enrollment !== undefined) {
        this.refused = true;
        return this.deps.enrollment.notEnrolled();
      }
      // The only effect an unsigned refusal has: the start-up burst ends (the agent beats at its
      // ordinary interval), so a lead shedding load (OVERLOADED) is not hit again in 500 ms. A
      // forged one can cost no more than the burst.
      this.refused = true;
      // A session the lead does not hold (restarted, a standby that took over, expired, revoked):
      // a new one after a random delay, and this beat again at once, signed (forget() leaves no
      // session to tag it with), so the agent is back with the lead now rather than one interval
      // later. Once per lost session: the retry is signed, so it cannot come back here; a forged
      // refusal costs the agent one signature. A lead that says when to come back (retry_after_ms)
      // gets no signed beat: the handshake after that wait is the agent's next word to it.
      if (!refusal.ok && session !== undefined && SESSION_LOST_CODES.has(refusal.code)) {
        this.session!.forget(refusal.code, refusal.retryAfterMs);
        if (refusal.retryAfterMs === undefined) return this.exchange();
      }
      // A shed tagged beat: the lead is behind; keep the session and beat half as often until answered.
      if (shedStretchesNextBeat({ code: refusal.ok ? undefined : refusal.code, tagged: session !== undefined })) this.timedOut = true;
      // A shed beat (OVERLOADED): no signed beat again before the lead's retry_after_ms (bounded, jittered).
      if (!refusal.ok && refusal.code === 'OVERLOADED' && refusal.retryAfterMs !== undefined) this.busyUntil = ctx.clock.localNow() + retryAfterWaitMs(refusal.retryAfterMs, this.intervalMs, this.deps.random());
      const retry = !refusal.ok && refusal.retryAfterMs !== undefined ? `, retry after ${refusal.retryAfterMs} ms` : '';
      return this.miss('REFUSED_UNSIGNED', refusal.ok ? 'unsigned answer' : `${refusal.code}: ${refusal.message}${retry}`, refusal.ok ? undefined : refusal.code);
    }
    const verified = await verifyOn('heartbeat', reply, { ed25519: ctx.ed25519, resolveKey: ctx.leadKeys });
    if (!verified.ok) {
      // Another lead of the group (its own key) may have taken over: learn its key before the next beat.
      if (verified.error.code === 'BAD_SIGNATURE') ctx.doubtLeadKey?.();
      return this.miss('BAD_REPLY', `${verified.error.code}: ${verified.error.message}`);
    }
    const { message, signerId } = verified.value;
    if (message.kind !== 'HEARTBEAT_REPLY' || signerId !== ctx.identity.leadId) {
      return this.miss('BAD_REPLY', 'reply is not a HEARTBEAT_REPLY from the lead to this agent');
    }
    this.onVerifiedReply(message, { t1, t1Wire, t4, seq: heartbeat.seq, freezeVersion });
  }

  /** A reply proven to be the lead's (signed or tagged): checked against this beat, then taken. */
  private onVerifiedReply(message: HeartbeatReply, beat: { t1: number; t1Wire: number; t4: number; seq: number; freezeVersion: number }): void {
    if (message.agent_id !== this.deps.ctx.identity.agentId) return this.miss('BAD_REPLY', 'reply is not a HEARTBEAT_REPLY from the lead to this agent');
    // The agent's one fence (ctx.leaseFence): a COORDINATE or FREEZE from a newer lead raises it too.
    const fenced = checkLeaseEpoch(this.deps.ctx.leaseFence, this.deps.ctx.identity.leadId, message.lease_epoch);
    if (fenced !== null) {
      countCode(this.deps.ctx.counters.refusedByCode, fenced.code);
      return this.miss('BAD_REPLY', `reply refused: ${fenced.message}`);
    }
    // A refusal of a body the lead could not trust (an unknown key) cannot echo t1: no clock sample, but an answer.
    if (message.t1 !== beat.t1 && !message.accepted) return this.onRefusal(message);
    if (message.t1 !== beat.t1) return this.miss('BAD_REPLY', 'reply is not this beat\'s HEARTBEAT_REPLY (t1 differs)');
    this.onReply(message, { t1: beat.t1Wire, t4: beat.t4, seq: beat.seq, freezeVersion: beat.freezeVersion });
  }

  /** The beat's bytes (validated as encodeMessage does) and its session tag headers. */
  private async encodeTagged(heartbeat: Heartbeat, session: NonNullable<ReturnType<HeartbeatSession['current']>>): Promise<{ data: Uint8Array; headers: Record<string, string> }> {
    if (!this.selfChecked || this.deps.selfCheck !== 'first') {
      const checked = HeartbeatSchema.safeParse(heartbeat);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new TypeError(`refusing to send an invalid HEARTBEAT: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
      }
      this.selfChecked = true;
    }
    // Buffer.from takes small arrays from node's pool: an encoder's fresh array per beat, each
    // with its own backing store, was a large part of a sim's allocations and GC.
    const data = Buffer.from(JSON.stringify(heartbeat), 'utf8');
    return { data, headers: await this.session!.headersFor(session, data) };
  }

  private onReply(reply: HeartbeatReply, beat: { t1: number; t4: number; seq: number; freezeVersion: number }): void {
    const { t1, t4, seq } = beat;
    const { ctx, profiler } = this.deps;
    const wasSynced = ctx.clock.synced;
    const sample = ctx.clock.addExchange({ t1, t2: reply.t2, t3: reply.t3, t4 });
    if (sample.ok) {
      profiler.recordLatency(sample.value.sample.delayMs);
      if (sample.value.verdict === 'step') {
        ctx.log.warn({ event: LogEvent.CLOCK_STEPPED, offset: sample.value.sample.offsetMs }, 'clock step detected; offset estimate restarted');
      } else if (!wasSynced && ctx.clock.synced) {
        ctx.log.info({ event: LogEvent.CLOCK_SYNCED, offset: sample.value.sample.offsetMs, delay: sample.value.sample.delayMs }, 'clock offset to the lead known');
      }
    } else {
      ctx.log.warn({ event: LogEvent.HEARTBEAT_MISSED, code: sample.error.code }, `clock sample refused: ${sample.error.message}`);
    }
    ctx.counters.heartbeatsSent++;
    this.lastOkAt = t4;
    this.last = { at: Date.now(), result: reply.accepted ? 'ok' : 'refused' };
    if (this.missing) {
      this.missing = false;
      ctx.log.info({ event: LogEvent.HEARTBEAT_RECOVERED, seq }, 'heartbeats answered again');
    }
    if (!reply.accepted) this.noteRefusal(reply);
    else {
      this.refused = false;
      this.refusalLogged = false;
      this.deps.enrollment?.accepted();
    }
    this.deps.onHints({ frozen: reply.frozen, freezeVersion: beat.freezeVersion, mode: reply.mode, intervalMs: reply.heartbeat_interval_ms });
  }

  private onRefusal(reply: HeartbeatReply): void {
    this.deps.ctx.counters.heartbeatsSent++;
    this.last = { at: Date.now(), result: 'refused' };
    this.missing = false;
    this.noteRefusal(reply);
  }

  /** Counted every time; NOT_ENROLLED goes to the enrollment waiter, others are a warning once per run. */
  private noteRefusal(reply: HeartbeatReply): void {
    const { ctx } = this.deps;
    ctx.counters.heartbeatsRejected++;
    this.refused = true;
    if (reply.reason_code !== undefined && NOT_KNOWN_CODES.has(reply.reason_code) && this.deps.enrollment !== undefined) return this.deps.enrollment.notEnrolled();
    const level = this.refusalLogged ? 'debug' : 'warn';
    this.refusalLogged = true;
    ctx.log[level]({ event: LogEvent.HEARTBEAT_REJECTED, code: reply.reason_code, reason: reply.reason }, `the lead did not accept the heartbeat: ${reply.reason ?? 'no reason given'}`);
  }

  /** A beat not sent on purpose: counted by reason, neither a miss nor a warning. */
  private hold(reason: HoldReason): void {
    const { ctx } = this.deps;
    countCode(ctx.counters.heldByReason, reason);
    ctx.log.debug({ event: LogEvent.HEARTBEAT_HELD, reason, seq: this.seq }, `heartbeat held back (${reason})`);
  }

  private miss(reason: MissReason, detail?: string, code?: string): void {
    const { ctx } = this.deps;
    ctx.counters.heartbeatsMissed++;
    countCode(ctx.counters.missedByReason, code === undefined ? reason : `${reason}:${code}`);
    // A lead too busy to answer is not asked again in 500 ms.
    if (reason === 'TIMEOUT') {
      this.refused = true;
      this.timedOut = true;
    }
    this.last = { at: Date.now(), result: resultOf(reason) };
    // The first miss of a run is a warning; the rest are counted quietly until one succeeds.
    const level = this.missing ? 'debug' : 'warn';
    this.missing = true;
    ctx.log[level]({ event: LogEvent.HEARTBEAT_MISSED, reason, seq: this.seq }, `heartbeat missed (${reason})${detail === undefined ? '' : `: ${detail}`}`);
  }
}
