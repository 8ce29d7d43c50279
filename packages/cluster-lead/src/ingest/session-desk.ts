import {
  PROTOCOL_VERSION,
  ReplayGuard,
  acceptHello,
  newMessageId,
  subjects,
  type Clock,
  type IncomingFrame,
  type KeyResolver,
  type SessionAccept,
  type SessionCrypto,
  type SessionHello,
  type SignedFrame,
} from '@mesh30k/shared';
import type { Msg, NatsConnection } from 'nats';
import type { RefusalCode } from '../lib/events.js';
import type { LimitCounters } from '../lib/limit-counters.js';
import type { Logger } from '../lib/logger.js';
import { frameHeaders, frameOf } from '../nats/frames.js';
import { HandledSubscription } from '../nats/handled-subscription.js';
import { signBuilt } from '../nats/sign-built.js';
import type { LeadIdentity } from '../trust/index.js';
import { HandshakePacer } from './handshake-pacer.js';
import { HEARTBEAT_QUEUE } from './heartbeat-ingest.js';
import type { IngestCounters } from './refusals.js';
import { newSessionId, type SessionTable } from './session-table.js';
import type { FrameVerifier } from './verifier.js';

const encoder = new TextEncoder();
/** One array, so a verify pool batches HELLOs together (it groups frames by their accept list). */
const HELLO_ONLY = ['SESSION_HELLO'] as const;
const MAX_REASON_CHARS = 512;
/** Expired sessions of agents that went quiet are swept at most this often (on a HELLO). */
const SWEEP_EVERY_MS = 60_000;
/** At most one refusal log line per code in this window; the counters see every refusal. */
const REFUSAL_LOG_WINDOW_MS = 10_000;

/** The shortest retry_after_ms a shed HELLO is given, and the window its pacing rate is measured over. */
const MIN_HANDSHAKE_RETRY_MS = 250;
const PACER_WINDOW_MS = 1_000;

export interface SessionDeskDeps {
  clock: Clock;
  logger: Logger;
  identity: LeadIdentity;
  /** The heartbeat verifier (worker threads when configured): a HELLO costs one Ed25519 verify. */
  verifier: FrameVerifier;
  /** Enrolled agent keys, as for heartbeats. */
  resolveKey: KeyResolver;
  table: SessionTable;
  counters: IngestCounters;
  limits?: LimitCounters;
  random?: () => number;
  /** The key exchange's primitives (WebCrypto when absent; the lead passes node:crypto's). */
  sessionCrypto?: SessionCrypto;
  /**
   * Told of every fresh, verified HELLO: a sign of life from its agent (the registry restarts its
   * silence). An agent waiting for its session sends no heartbeat meanwhile (issue 15).
   */
  heard?: (agentId: string, receivedAt: number) => void;
}

export interface SessionDeskOptions {
  /** Session lifetime before the jitter, ms. */
  lifetimeMs: number;
  /** Each session lives lifetimeMs x (1 +/- jitter), so sessions opened together do not end together. */
  jitter: number;
  replyTtlMs: number;
  /** HELLO ids remembered against replay, and for how long (lead clock). */
  replay: { ttlMs: number; maxEntries: number };
  /**
   * Shed a HELLO unverified (OVERLOADED, retry_after_ms) at this verify backlog, as heartbeats
   * are; and, when `handshakes` is set, beyond that many handshakes of this desk in progress
   * (answered with a retry_after_ms paced at the rate the desk opens sessions, at most
   * handshakeRetryAfterMs, default retryAfterMs: handshake-pacer.ts).
   */
  shed?: { backlog?: number; retryAfterMs: number; handshakes?: number; handshakeRetryAfterMs?: number };
  /** Subscribe in the HEARTBEAT_QUEUE group (default true); off for HA leads, as the heartbeat intake (HeartbeatIngestOptions.queueGroup). */
  queueGroup?: boolean;
}

/** A signed SESSION_ACCEPT, or a compact unsigned refusal (like a heartbeat's). */
export type SessionAnswer = SignedFrame | { readonly body: Uint8Array; readonly signed: false };

/**
 * The lead's half of the heartbeat-session handshake (docs/adr/0004): a SESSION_HELLO signed by
 * an enrolled agent opens a session in the table and is answered with a signed SESSION_ACCEPT.
 * Every refusal is unsigned (as a heartbeat refused before its sender is known): it can only
 * make the agent keep signing its heartbeats, which it may always do.
 */
export class SessionDesk {
  private readonly intake: HandledSubscription;
  private readonly replay: ReplayGuard;
  private readonly lastLog = new Map<string, number>();
  private lastSweep = Number.NEGATIVE_INFINITY;
  /** HELLOs admitted and not yet answered. */
  private handshaking = 0;
  private readonly pacer: HandshakePacer | undefined;

  constructor(
    private readonly deps: SessionDeskDeps,
    private readonly options: SessionDeskOptions,
  ) {
    this.intake = new HandledSubscription({
      subject: subjects.session(deps.identity.leadId),
      ...(options.queueGroup === false ? {} : { queue: HEARTBEAT_QUEUE }),
      what: 'session handshake',
      handle: (msg) => this.handle(msg),
      logger: deps.logger,
    });
    const shed = options.shed;
    if (shed?.handshakes !== undefined) {
      // Before any session opened lately, the desk is assumed to clear its limit in a second.
      this.pacer = new HandshakePacer({ minMs: MIN_HANDSHAKE_RETRY_MS, maxMs: shed.handshakeRetryAfterMs ?? shed.retryAfterMs, windowMs: PACER_WINDOW_MS, assumedPerSecond: shed.handshakes });
    }
    // By id, remembered under the lead's receipt time: an agent at boot cannot stamp mesh time yet.
    this.replay = new ReplayGuard({ clock: deps.clock, ttlMs: options.replay.ttlMs, skewMs: options.replay.ttlMs, maxEntries: options.replay.maxEntries });
  }

  /** Subscribes; resolves once the server has the subscription. */
  async subscribe(nc: NatsConnection): Promise<void> {
    await this.intake.open(nc);
  }

  /** Stops taking handshakes and waits for those already being handled. */
  async stop(): Promise<void> {
    await this.intake.close();
  }

  private async handle(msg: Msg): Promise<void> {
    const answer = await this.process(frameOf(msg), this.deps.clock.now());
    if ('signature' in answer) msg.respond(answer.body, { headers: frameHeaders(answer) });
    else msg.respond(answer.body);
  }

  /** One HELLO in, its answer out (transport-independent, for tests and benchmarks). */
  async process(frame: IncomingFrame, receivedAt: number): Promise<SessionAnswer> {
    const shed = this.options.shed;
    const backlog = this.deps.verifier.backlog ?? 0;
    if (shed?.backlog !== undefined && backlog >= shed.backlog) {
      this.deps.limits?.hit('heartbeat_shed');
      return this.refuse('OVERLOADED', `the lead is overloaded (${backlog} messages waiting for verification); open the session later`, frame.signerId ?? null, shed.retryAfterMs);
    }
    if (shed?.handshakes !== undefined && this.handshaking >= shed.handshakes) {
      this.deps.limits?.hit('heartbeat_shed');
      const retryAfterMs = this.pacer?.retryAfterMs(this.deps.clock.now(), this.handshaking) ?? shed.retryAfterMs;
      return this.refuse('OVERLOADED', `the lead is busy with ${this.handshaking} session handshakes; open the session later`, frame.signerId ?? null, retryAfterMs);
    }
    this.handshaking++;
    try {
      return await this.open(frame, receivedAt);
    } finally {
      this.handshaking--;
    }
  }

  /** A HELLO admitted: verified, checked against replay, and answered with a session. */
  private async open(frame: IncomingFrame, receivedAt: number): Promise<SessionAnswer> {
    // Ahead of signed heartbeats: a session takes this agent off per-beat Ed25519 for good.
    const verified = await this.deps.verifier.verify(frame, { accept: HELLO_ONLY, resolveKey: this.deps.resolveKey, priority: true });
    if (!verified.ok) return this.refuse(verified.error.code, verified.error.message, frame.signerId ?? null);
    const hello = verified.value.message as SessionHello;
    const unseen = this.replay.check(hello.message_id, receivedAt);
    if (!unseen.ok) return this.refuse(unseen.error.code, `SESSION_HELLO ${hello.message_id}: ${unseen.error.message}`, hello.agent_id);
    // Only a HELLO stamped within the replay window counts as life: an old one replayed after its
    // id was forgotten opens a session nobody can use, but must not keep a dead agent looking alive.
    if (Math.abs(hello.created_at - receivedAt) <= this.options.replay.ttlMs) this.deps.heard?.(hello.agent_id, receivedAt);

    const now = this.deps.clock.now();
    const random = this.deps.random ?? Math.random;
    const lifetime = Math.round(this.options.lifetimeMs * (1 + (random() * 2 - 1) * this.options.jitter));
    const sessionId = newSessionId();
    this.sweepExpired(now);
    const { keys, acceptFields } = await acceptHello(hello, verified.value.body, { leadId: this.deps.identity.leadId, sessionId }, this.deps.sessionCrypto);
    this.deps.table.open(hello.agent_id, keys, now + lifetime, sessionId);
    this.deps.counters.sessionsOpened++;
    this.pacer?.noteOpened(this.deps.clock.now());
    this.deps.logger.debug({ agentId: hello.agent_id, sessionId, bootId: hello.boot_id, lifetimeMs: lifetime }, 'heartbeat session opened');
    const t = this.deps.clock.now();
    const accept: SessionAccept = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(t),
      sender_id: this.deps.identity.leadId,
      created_at: t,
      ttl_ms: this.options.replyTtlMs,
      correlation_id: hello.message_id,
      kind: 'SESSION_ACCEPT',
      agent_id: hello.agent_id,
      ...acceptFields,
      expires_in_ms: lifetime,
    };
    return signBuilt(accept, this.deps.identity.signer, this.deps.identity.leadId);
  }

  private sweepExpired(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    const n = this.deps.table.sweep(now);
    if (n > 0) this.deps.logger.debug({ sessions: n }, 'expired heartbeat sessions dropped');
  }

  private refuse(code: RefusalCode, message: string, agentId: string | null, retryAfterMs?: number): SessionAnswer {
    this.deps.counters.refuseHandshake(code);
    const now = this.deps.clock.now();
    const last = this.lastLog.get(code);
    if (last === undefined || now - last >= REFUSAL_LOG_WINDOW_MS) {
      this.lastLog.set(code, now);
      this.deps.logger.info({ agentId, code }, `session handshake refused: ${message}`);
    }
    const retry = retryAfterMs === undefined ? {} : { retry_after_ms: retryAfterMs };
    return { body: encoder.encode(JSON.stringify({ ok: false, code, message: message.slice(0, MAX_REASON_CHARS), ...retry })), signed: false };
  }
}
