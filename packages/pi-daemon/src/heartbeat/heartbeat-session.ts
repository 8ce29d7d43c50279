import {
  AgentHandshake,
  SESSION_HEADER,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  TAG_HEADER,
  checkSessionTag,
  parseAuthenticated,
  sessionTag,
  type HeartbeatReply,
  type HmacSha256,
  type SessionCrypto,
  type SessionHello,
  type SessionKeys,
} from '@mesh30k/shared';
import { messageHeader, type AgentContext } from '../agent/context.js';
import { LogEvent } from '../logging/events.js';
import { isBusError } from '../nats/errors.js';
import type { BusMessage, OutgoingHeaders } from '../nats/bus.js';
import { checkKind, encodeFrame, parseUnsignedRefusal, subjectOf, verifyOn } from '../nats/frames.js';

/** How an agent authenticates its heartbeats (config heartbeat.auth; docs/adr/0004). */
export type HeartbeatAuth = 'session' | 'ed25519';

/** A session the lead accepted. */
interface OpenSession {
  readonly id: string;
  readonly keys: SessionKeys;
  /** Local clock: open a new session from this moment on (before the lead's expiry). */
  readonly rekeyAt: number;
  /** Local clock: the lead's expiry as the agent reckons it; not used from then on. */
  readonly expiresAt: number;
}

/** Longest wait between handshakes the lead did not answer or refused, in heartbeat intervals. */
const MAX_BACKOFF_INTERVALS = 64;
/** A handshake nobody answered because no lead listens on the subject (bus error code). */
const NO_LEAD = 'NO_RESPONDERS';
/** A handshake the lead did not answer in time (bus error code): it is there, and busy. */
const TIMED_OUT = 'TIMEOUT';
/**
 * Handshakes in a row that may time out while the agent holds its signed beats back (retrying
 * each interval); beyond that the lead is taken not to open sessions, and beats go signed.
 */
export const HELD_TIMEOUTS = 6;
/**
 * The longest retry_after_ms taken from a lead, in heartbeat intervals: the answer is unsigned,
 * so a forged one must not silence the agent for long.
 */
export const MAX_RETRY_AFTER_INTERVALS = 4;

/** A lead's retry_after_ms as the agent takes it: bounded, then jittered by `random` (x 0.5-1.5). */
export function retryAfterWaitMs(retryAfterMs: number, intervalMs: number, random: number): number {
  return boundedRetryAfterMs(retryAfterMs, intervalMs) * (0.5 + random);
}

/** A lead's retry_after_ms, at most MAX_RETRY_AFTER_INTERVALS intervals. */
function boundedRetryAfterMs(retryAfterMs: number, intervalMs: number): number {
  return Math.min(retryAfterMs, MAX_RETRY_AFTER_INTERVALS * intervalMs);
}

/**
 * How long after a failed handshake the next may start. A lead that sheds says when to come
 * back: that wait (at most MAX_RETRY_AFTER_INTERVALS), jittered (x 0.5-1.5) so the agents it
 * turned away together do not return together. No lead listening (not started yet, or between a stop and a takeover) costs no
 * lead any work: about one interval, never doubled; a fleet started before its lead used to
 * back off for minutes and beat signed all that time (issue 15). A lead that timed out is
 * asked again each interval for HELD_TIMEOUTS failures (a HELLO an interval is what a beat
 * would cost it), then the wait doubles from there. Otherwise one interval doubling per
 * failure (`failures` counts those), up to 64.
 */
export function handshakeRetryWaitMs(f: { reason: string; failures: number; intervalMs: number; retryAfterMs?: number | undefined; random: number }): number {
  const jitter = 0.5 + f.random;
  if (f.retryAfterMs !== undefined) return retryAfterWaitMs(f.retryAfterMs, f.intervalMs, f.random);
  const doublings = f.reason === NO_LEAD ? 0 : f.reason === TIMED_OUT ? f.failures - HELD_TIMEOUTS : f.failures;
  const intervals = Math.min(2 ** (Math.max(1, doublings) - 1), MAX_BACKOFF_INTERVALS);
  return f.intervalMs * intervals * jitter;
}

/**
 * Whether an agent without a session holds its signed beats back after a failed handshake
 * (until the next one): the lead shed the HELLO (it said when to come back) or is too busy to
 * answer in time. Every signed beat costs such a lead an Ed25519 verify it may not get to,
 * which is what kept a 20,000-agent fleet from ever getting into session (issue 15). After a
 * refusal with another code the lead will not open a session: beats go signed.
 */
export function holdsSignedBeats(f: { reason: string; failures: number; retryAfterMs?: number | undefined }): boolean {
  return f.retryAfterMs !== undefined || (f.reason === TIMED_OUT && f.failures <= HELD_TIMEOUTS);
}

export interface HeartbeatSessionDeps {
  ctx: AgentContext;
  hmac: HmacSha256;
  /** The key exchange's primitives (WebCrypto when absent). */
  sessionCrypto?: SessionCrypto;
  random(): number;
  /** The heartbeat's boot id, named in the HELLO. */
  bootId: string;
  /** The current heartbeat interval (jitter and backoff are in its units). */
  intervalMs(): number;
}

/**
 * The agent's heartbeat session: opened with a signed handshake (the first beat after boot
 * waits for it; until one exists beats are signed as in ed25519 mode), used to tag beats and
 * check the lead's tagged replies, and replaced when it nears its end (at a random moment in
 * the interval before, so a fleet does not rekey together) or when the lead says it does not
 * know it (SESSION_UNKNOWN: the next handshake waits a random delay in [0, interval)). A
 * handshake that fails backs off, doubling up to 64 intervals; beats are signed meanwhile.
 */
export class HeartbeatSession {
  private session: OpenSession | undefined;
  /** Local clock: no handshake before this. */
  private notBefore = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private failureLogged = false;
  private opening: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /**
   * How the last handshake since boot or the last session failed: `hold` (shed or timed out:
   * no signed beat until the next one is due), `sign` (no lead listens, or it refused: beats go
   * signed, even while the next is in flight), or `none` yet.
   */
  private lastFailure: 'none' | 'hold' | 'sign' = 'none';

  constructor(private readonly deps: HeartbeatSessionDeps) {}

  get id(): string | undefined {
    return this.session?.id;
  }

  /**
   * The session to tag the next beat with; undefined: sign it. When a session is due (none yet,
   * or near its end) a handshake starts in the background: no beat waits for one, so the
   * first beat after boot is signed, and a rekey that fails leaves the old session in use
   * until its end.
   */
  current(): OpenSession | undefined {
    const now = this.deps.ctx.clock.localNow();
    const due = this.session === undefined || now >= this.session.rekeyAt;
    if (due && now >= this.notBefore) this.startHandshake();
    const session = this.session;
    return session !== undefined && now < session.expiresAt ? session : undefined;
  }

  /**
   * True while the agent, having no session, should send no signed beat: a handshake is in
   * flight (its HELLO is this agent's sign of life to the lead meanwhile), or the lead shed or
   * timed out the last one and its retry is not due yet. Not after a handshake found no lead
   * listening or was refused: such a lead (ed25519 mode, or not up yet) is not opening sessions.
   */
  holdsSignedBeats(): boolean {
    if (this.session !== undefined || this.lastFailure === 'sign') return false;
    return this.opening !== undefined || (this.lastFailure === 'hold' && this.deps.ctx.clock.localNow() < this.notBefore);
  }

  /**
   * The lead does not know the session (restarted, expired, revoked) or its tag failed: drop
   * it and open another after a random delay in [0, interval), so a fleet told at once (a lead
   * restart) spreads its handshakes over one interval; beats until then are signed. When the
   * lead gave a window (`retryAfterMs`: a restarted lead re-handshaking its whole fleet), at a
   * random moment in it (at most MAX_RETRY_AFTER_INTERVALS), and no signed beat goes before the
   * handshake: each would cost the lead a verify and a signature it has no time for (issue 15).
   */
  forget(code: string, retryAfterMs?: number): void {
    const { ctx } = this.deps;
    if (this.session === undefined || this.closed) return;
    ctx.log.info({ event: LogEvent.HEARTBEAT_SESSION_LOST, code, session: this.session.id }, `heartbeat session lost (${code}); a new one opens after a random delay`);
    this.session = undefined;
    this.lastFailure = retryAfterMs === undefined ? 'none' : 'hold';
    const window = retryAfterMs === undefined ? this.deps.intervalMs() : boundedRetryAfterMs(retryAfterMs, this.deps.intervalMs());
    const delay = this.deps.random() * window;
    this.notBefore = ctx.clock.localNow() + delay;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startHandshake();
    }, delay);
    this.timer.unref?.();
  }

  /** Stops any scheduled handshake (the agent stops). */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One handshake at a time, in the background; not while closed or disconnected. */
  private startHandshake(): void {
    const { ctx } = this.deps;
    if (this.opening !== undefined || this.closed || !ctx.bus.connected) return;
    this.opening = this.open()
      .catch((error: unknown) => {
        ctx.log.error({ event: LogEvent.HEARTBEAT_SESSION_FAILED, err: error }, 'heartbeat session handshake failed');
        this.failed('FAILED');
      })
      .finally(() => {
        this.opening = undefined;
      });
  }

  /** Resolves when no handshake is in flight (tests and benchmarks wait on it). */
  async settled(): Promise<void> {
    await this.opening;
  }

  /** Tag headers for a beat's bytes in `session`. */
  async headersFor(session: OpenSession, body: Uint8Array): Promise<OutgoingHeaders> {
    const tag = await sessionTag(this.deps.hmac, session.keys.agentToLead, session.id, undefined, body);
    return { [SIGNER_HEADER]: this.deps.ctx.identity.agentId, [SESSION_HEADER]: session.id, [TAG_HEADER]: tag };
  }

  /**
   * The lead's tagged reply to the beat `seq` of `session`, checked and parsed; an error
   * message when it does not check (never acted on).
   */
  async readReply(session: OpenSession, seq: number, reply: BusMessage): Promise<{ ok: true; reply: HeartbeatReply } | { ok: false; reason: string }> {
    const tag = reply.headers.get(TAG_HEADER);
    if (!tag || reply.headers.get(SESSION_HEADER) !== session.id) return { ok: false, reason: 'reply is not tagged in this session' };
    if (!(await checkSessionTag(this.deps.hmac, session.keys.leadToAgent, session.id, seq, reply.data, tag))) return { ok: false, reason: 'reply tag does not match' };
    const parsed = parseAuthenticated(reply.data, this.deps.ctx.identity.leadId, { accept: ['HEARTBEAT_REPLY'] });
    if (!parsed.ok) return { ok: false, reason: `${parsed.error.code}: ${parsed.error.message}` };
    return { ok: true, reply: parsed.value.message as HeartbeatReply };
  }

  private async open(): Promise<void> {
    const { ctx } = this.deps;
    const handshake = await AgentHandshake.start(this.deps.sessionCrypto);
    const hello: SessionHello = {
      ...messageHeader(ctx),
      kind: 'SESSION_HELLO',
      agent_id: ctx.identity.agentId,
      boot_id: this.deps.bootId,
      ...handshake.helloFields,
    };
    const route = { family: 'session', id: ctx.identity.leadId } as const;
    checkKind(route.family, hello.kind);
    const frame = await encodeFrame(hello, ctx.self);
    let answer: BusMessage;
    try {
      // A busy lead (a restart re-handshakes the whole fleet) may take longer than a beat's
      // timeout; a late ACCEPT is still a session, and giving up early only makes the lead do
      // the same handshake again.
      answer = await ctx.bus.request(subjectOf(route), frame.data, { timeoutMs: Math.max(ctx.tuning.heartbeatTimeoutMs, this.deps.intervalMs()), headers: frame.headers });
    } catch (error) {
      if (isBusError(error)) return this.failed(error.code);
      throw error;
    }
    if (!answer.headers.get(SIGNATURE_HEADER)) {
      const refusal = parseUnsignedRefusal(answer.data);
      return this.failed(refusal.ok ? 'unsigned answer' : `${refusal.code}: ${refusal.message}`, refusal.ok ? undefined : refusal.retryAfterMs);
    }
    const verified = await verifyOn('session', answer, { ed25519: ctx.ed25519, resolveKey: ctx.leadKeys });
    if (!verified.ok) {
      if (verified.error.code === 'BAD_SIGNATURE') ctx.doubtLeadKey?.();
      return this.failed(`${verified.error.code}: ${verified.error.message}`);
    }
    const { message, signerId } = verified.value;
    if (message.kind !== 'SESSION_ACCEPT' || signerId !== ctx.identity.leadId) return this.failed('answer is not a SESSION_ACCEPT from the lead');
    const keys = await handshake.finish(frame.data, message, { agentId: ctx.identity.agentId, leadId: ctx.identity.leadId });
    if (!keys.ok) return this.failed(keys.reason);
    // Rekey a random moment within the last interval before the lead's expiry.
    const now = ctx.clock.localNow();
    const margin = Math.min(message.expires_in_ms / 2, this.deps.intervalMs() * (1 + this.deps.random()));
    this.session = { id: message.session_id, keys: keys.keys, rekeyAt: now + message.expires_in_ms - margin, expiresAt: now + message.expires_in_ms };
    this.failures = 0;
    this.failureLogged = false;
    this.lastFailure = 'none';
    ctx.counters.sessionsOpened++;
    ctx.log.debug({ event: LogEvent.HEARTBEAT_SESSION_OPENED, session: message.session_id, expiresInMs: message.expires_in_ms }, 'heartbeat session opened');
  }

  private failed(reason: string, retryAfterMs?: number): void {
    const { ctx } = this.deps;
    if (reason !== NO_LEAD) this.failures++;
    ctx.counters.sessionHandshakesFailed++;
    const wait = handshakeRetryWaitMs({ reason, failures: this.failures, intervalMs: this.deps.intervalMs(), retryAfterMs, random: this.deps.random() });
    this.notBefore = ctx.clock.localNow() + wait;
    const holding = holdsSignedBeats({ reason, failures: this.failures, retryAfterMs });
    this.lastFailure = holding ? 'hold' : 'sign';
    const level = this.failureLogged ? 'debug' : 'warn';
    this.failureLogged = true;
    const meanwhile = holding ? `no heartbeat until the next handshake in ${Math.round(wait)} ms` : 'heartbeats are signed until one is';
    ctx.log[level]({ event: LogEvent.HEARTBEAT_SESSION_FAILED, reason, failures: this.failures }, `heartbeat session not opened (${reason}); ${meanwhile}`);
  }
}
