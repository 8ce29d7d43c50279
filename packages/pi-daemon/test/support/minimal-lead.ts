/**
 * A minimal lead for the daemon's tests, built from @mesh30k/shared and the nats client only
 * (no daemon code, so it checks the daemon rather than agreeing with it): it answers
 * heartbeats with signed HEARTBEAT_REPLYs, stores and confirms ACKs and conflicts (one per
 * operation and agent, duplicates confirmed as new, as docs/protocol.md says), and publishes
 * COORDINATE, FREEZE, THAW and PING. The real lead replaces it in the lead's own tests.
 */
import { performance } from 'node:perf_hooks';
import {
  PROTOCOL_VERSION,
  ReplayGuard,
  SESSION_HEADER,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  SUBJECT_KINDS,
  TAG_HEADER,
  acceptHello,
  checkSessionTag,
  encodeMessage,
  err,
  newMessageId,
  ok,
  parseAuthenticated,
  payloadHash,
  sessionTag,
  subjects,
  verifyAndParse,
} from '@mesh30k/shared';
import type {
  Ack,
  Clock,
  ConflictReport,
  Coordinate,
  Heartbeat,
  KeyPair,
  KeyResolver,
  MeshMessage,
  MeshMode,
  Pong,
  SessionHello,
  SessionKeys,
  SubjectFamily,
  TrustStore,
  WireRefusal,
} from '@mesh30k/shared';
import { nodeEd25519, nodeHmacSha256 } from '@mesh30k/shared/node';
import { connect, headers as natsHeaders } from 'nats';
import type { Msg, NatsConnection, Subscription } from 'nats';

const trueClock: Clock = { now: () => performance.timeOrigin + performance.now() };
const encoder = new TextEncoder();

export interface MinimalLeadOptions {
  natsUrl: string;
  leadId: string;
  keyPair: KeyPair;
  /** Enrolled agents; their heartbeats, ACKs and conflicts are verified against it. */
  trust: TrustStore;
  clock?: Clock;
  /**
   * Answer SESSION_HELLOs and session-tagged heartbeats (docs/adr/0004). Off by default: the
   * agents' handshakes then find no responder and their beats stay signed.
   */
  sessions?: { lifetimeMs?: number };
}

/** What the lead's heartbeat replies say. */
export interface ReplyHints {
  frozen: boolean;
  mode: MeshMode;
  heartbeat_interval_ms?: number;
  /** Stamped on replies as an HA lead does (lease_epoch). */
  lease_epoch?: number;
}

export interface HeartbeatSeen {
  heartbeat: Heartbeat;
  /** Lead clock on receipt. */
  t2: number;
}

type CoordinateFields = Partial<Omit<Coordinate, 'kind' | 'v'>> & Pick<Coordinate, 'target_time'>;

export class MinimalLead {
  readonly heartbeats: HeartbeatSeen[] = [];
  /** Every ACK as it arrived, duplicates included. */
  readonly ackArrivals: Ack[] = [];
  /** One ACK per operation and agent: what the lead stores. */
  readonly acks = new Map<string, Ack>();
  readonly conflicts = new Map<string, ConflictReport>();
  readonly refusals: { subject: string; refusal: WireRefusal }[] = [];
  readonly hints: ReplyHints = { frozen: false, mode: 'FULL' };
  /** When set, ACK and CONFLICT requests go unanswered (to test timeouts and rogue answers). */
  silent = false;
  /**
   * Load shedding as a busy lead does it: this many more SESSION_HELLOs, signed heartbeats and
   * tagged heartbeats (in a known session) are answered OVERLOADED (unsigned, with
   * retry_after_ms) unverified.
   */
  readonly shed = { hellos: 0, signedBeats: 0, taggedBeats: 0, retryAfterMs: 1_000 };
  /** When set, SESSION_UNKNOWN answers carry this retry_after_ms, as a restarted lead's do. */
  sessionUnknownRetryAfterMs: number | undefined = undefined;
  /** Signed heartbeats received (shed or not), by agent id. */
  readonly signedBeatsFrom = new Map<string, number>();
  private readonly subs: Subscription[] = [];
  private readonly replay: ReplayGuard;
  private readonly clock: Clock;
  private readonly signer;
  private readonly resolveAgent: KeyResolver;
  private waiters = new Set<() => void>();
  /** Open heartbeat sessions by id (sessions option). */
  private readonly sessionKeys = new Map<string, { agentId: string; keys: SessionKeys }>();
  private sessionCount = 0;

  private constructor(
    readonly nc: NatsConnection,
    private readonly options: MinimalLeadOptions,
  ) {
    this.clock = options.clock ?? trueClock;
    this.replay = new ReplayGuard({ clock: this.clock });
    this.signer = nodeEd25519.signerSync(options.keyPair.privateKey);
    this.resolveAgent = (signerId) => {
      const found = options.trust.lookup(signerId);
      return found.ok ? ok(found.value.keys.map((k) => k.publicKey)) : err({ code: found.error.code, message: found.error.message });
    };
  }

  static async start(options: MinimalLeadOptions): Promise<MinimalLead> {
    // Reconnects forever, like a real lead: fault tests restart nats-server under it.
    const nc = await connect({ servers: options.natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100, name: `lead-${options.leadId}` });
    const lead = new MinimalLead(nc, options);
    lead.listen();
    await nc.flush();
    return lead;
  }

  get id(): string {
    return this.options.leadId;
  }

  now(): number {
    return this.clock.now();
  }

  ackFor(operationId: string, agentId: string): Ack | undefined {
    return this.acks.get(`${operationId}/${agentId}`);
  }

  /** Resolves when `condition` holds after some message, or rejects after `timeoutMs`. */
  waitUntil(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`lead: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Signs and publishes a COORDINATE to the group or to one agent; returns what was sent. */
  async coordinate(fields: CoordinateFields, to: { agentId: string } | 'group' = 'group'): Promise<Coordinate> {
    const payload = fields.payload ?? { note: 'test' };
    const message: Coordinate = {
      ...this.header(),
      kind: 'COORDINATE',
      operation_id: fields.operation_id ?? `op-${newMessageId(this.now()).slice(-10)}`,
      verb: 'observe',
      payload_hash: await payloadHash(payload),
      payload_weight: 0,
      release_mode: 'hold',
      arrival_window_ms: 500,
      priority: 2,
      requires_capabilities: [],
      selector: { all: true },
      routing_strategy: 'scatter-gather',
      trinary_expectation: 1,
      ...fields,
      payload,
    };
    const subject = to === 'group' ? subjects.coordinateGroup(this.id) : subjects.coordinateAgent(to.agentId);
    await this.publish(to === 'group' ? 'coordinateGroup' : 'coordinateAgent', subject, message);
    return message;
  }

  async freeze(scope: 'global' | 'cluster' | 'sector' = 'global', targetId?: string, extra: { preserve_state_to?: string } = {}): Promise<void> {
    this.hints.frozen = true;
    await this.publish('control', subjects.control(this.id), { ...this.header(), kind: 'FREEZE', scope, ...(targetId ? { target_id: targetId } : {}), reason: 'test freeze', ...extra });
  }

  async thaw(scope: 'global' | 'cluster' | 'sector' = 'global', targetId?: string): Promise<void> {
    this.hints.frozen = false;
    await this.publish('control', subjects.control(this.id), { ...this.header(), kind: 'THAW', scope, ...(targetId ? { target_id: targetId } : {}), reason: 'test thaw' });
  }

  /** Publishes bytes as they are, with optional headers: for malformed-frame tests. */
  async publishRaw(subject: string, body: Uint8Array, hdrs: Record<string, string> = {}): Promise<void> {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
    this.nc.publish(subject, body, { headers: h });
    await this.nc.flush();
  }

  /** Signs a message as this lead (or with another key pair, to forge one). */
  async sign(message: MeshMessage, as?: { id: string; keyPair: KeyPair }): Promise<{ body: Uint8Array; headers: Record<string, string> }> {
    const signer = as === undefined ? this.signer : nodeEd25519.signerSync(as.keyPair.privateKey);
    const frame = await encodeMessage(message, signer, as?.id ?? this.id);
    return { body: frame.body, headers: { [SIGNATURE_HEADER]: frame.signature, [SIGNER_HEADER]: frame.signerId } };
  }

  /** A signed PING to one agent; resolves with its verified PONG and the PING's t1. */
  async ping(agentId: string, timeoutMs = 2_000): Promise<{ pong: Pong; t1: number }> {
    const t1 = this.now();
    const frame = await this.sign({ ...this.header(), kind: 'PING', target_id: agentId, t1 });
    const h = natsHeaders();
    for (const [k, v] of Object.entries(frame.headers)) h.set(k, v);
    const reply = await this.nc.request(subjects.probe(agentId), frame.body, { timeout: timeoutMs, headers: h });
    const verified = await this.verify(reply, 'probe');
    if (!verified.ok) throw new Error(`PONG refused: ${verified.error.code} ${verified.error.message}`);
    const message = verified.value;
    if (message.kind !== 'PONG') throw new Error(`expected PONG, got ${message.kind}`);
    return { pong: message, t1 };
  }

  header(): { v: typeof PROTOCOL_VERSION; message_id: string; sender_id: string; created_at: number; ttl_ms: number } {
    const now = this.now();
    return { v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: this.id, created_at: now, ttl_ms: 30_000 };
  }

  async close(): Promise<void> {
    for (const sub of this.subs) sub.unsubscribe();
    await this.nc.close();
  }

  private async publish(family: SubjectFamily, subject: string, message: MeshMessage): Promise<void> {
    if (!SUBJECT_KINDS[family].includes(message.kind)) throw new TypeError(`${message.kind} may not travel on ${family}`);
    const frame = await this.sign(message);
    await this.publishRaw(subject, frame.body, frame.headers);
  }

  private listen(): void {
    this.subs.push(this.nc.subscribe(subjects.heartbeat(this.id), { queue: 'leads', callback: (_e, msg) => void this.onHeartbeat(msg) }));
    if (this.options.sessions !== undefined) this.subs.push(this.nc.subscribe(subjects.session(this.id), { queue: 'leads', callback: (_e, msg) => void this.onHello(msg) }));
    this.subs.push(this.nc.subscribe(subjects.ack(this.id), { callback: (_e, msg) => void this.onAck(msg) }));
    this.subs.push(this.nc.subscribe(subjects.conflict(this.id), { callback: (_e, msg) => void this.onConflict(msg) }));
  }

  private async verify(msg: Msg, family: SubjectFamily, replay = false) {
    const frame = { body: msg.data, signerId: msg.headers?.get(SIGNER_HEADER), signature: msg.headers?.get(SIGNATURE_HEADER) };
    const result = await verifyAndParse(frame, {
      ed25519: nodeEd25519,
      resolveKey: this.resolveAgent,
      accept: SUBJECT_KINDS[family],
      ...(replay ? { replay: this.replay } : {}),
    });
    if (!result.ok) {
      this.refusals.push({ subject: msg.subject, refusal: result.error });
      this.notify();
      return result;
    }
    return ok(result.value.message);
  }

  /** Sessions opened so far (sessions option). */
  get sessionsOpened(): number {
    return this.sessionCount;
  }

  /** Answers OVERLOADED when `what` is still to be shed (see `shed`); true when it did. */
  private shedding(msg: Msg, what: 'hellos' | 'signedBeats' | 'taggedBeats'): boolean {
    if (this.shed[what] <= 0) return false;
    this.shed[what]--;
    msg.respond(encoder.encode(JSON.stringify({ ok: false, code: 'OVERLOADED', message: 'the lead is overloaded', retry_after_ms: this.shed.retryAfterMs })));
    return true;
  }

  private async onHello(msg: Msg): Promise<void> {
    if (this.shedding(msg, 'hellos')) return;
    const verified = await this.verify(msg, 'session', true);
    if (!verified.ok || verified.value.kind !== 'SESSION_HELLO') {
      const refusal = verified.ok ? { code: 'UNKNOWN_KIND', message: 'not a SESSION_HELLO' } : verified.error;
      msg.respond(encoder.encode(JSON.stringify({ ok: false, code: refusal.code, message: refusal.message })));
      return;
    }
    const hello: SessionHello = verified.value;
    const sessionId = `s${++this.sessionCount}-${newMessageId(this.now()).slice(-8)}`;
    const { keys, acceptFields } = await acceptHello(hello, msg.data, { leadId: this.id, sessionId });
    this.sessionKeys.set(sessionId, { agentId: hello.agent_id, keys });
    const frame = await this.sign({
      ...this.header(),
      correlation_id: hello.message_id,
      kind: 'SESSION_ACCEPT',
      agent_id: hello.agent_id,
      ...acceptFields,
      expires_in_ms: this.options.sessions?.lifetimeMs ?? 3_600_000,
    });
    const h = natsHeaders();
    for (const [k, v] of Object.entries(frame.headers)) h.set(k, v);
    msg.respond(frame.body, { headers: h });
  }

  /** Forgets every heartbeat session, as a lead that restarted or a standby that took over holds none. */
  dropSessions(): void {
    this.sessionKeys.clear();
  }

  /** A session-tagged beat: its tag checked under the session's key, answered with a tagged reply. */
  private async onTaggedHeartbeat(msg: Msg, sessionId: string, tag: string): Promise<void> {
    const t2 = this.now();
    const session = this.sessionKeys.get(sessionId);
    if (session === undefined || msg.headers?.get(SIGNER_HEADER) !== session.agentId) {
      const retry = this.sessionUnknownRetryAfterMs === undefined ? {} : { retry_after_ms: this.sessionUnknownRetryAfterMs };
      msg.respond(encoder.encode(JSON.stringify({ ok: false, code: 'SESSION_UNKNOWN', message: `no session ${sessionId}`, ...retry })));
      return;
    }
    if (this.shedding(msg, 'taggedBeats')) return;
    if (!(await checkSessionTag(nodeHmacSha256, session.keys.agentToLead, sessionId, undefined, msg.data, tag))) {
      msg.respond(encoder.encode(JSON.stringify({ ok: false, code: 'BAD_TAG', message: 'tag does not match' })));
      return;
    }
    const parsed = parseAuthenticated(msg.data, session.agentId, { accept: ['HEARTBEAT'] });
    if (!parsed.ok || parsed.value.message.kind !== 'HEARTBEAT') return;
    const heartbeat = parsed.value.message;
    this.heartbeats.push({ heartbeat, t2 });
    const reply = { ...this.replyTo(heartbeat, t2), t3: this.now() };
    const body = encoder.encode(JSON.stringify(reply));
    const h = natsHeaders();
    h.set(SIGNER_HEADER, this.id);
    h.set(SESSION_HEADER, sessionId);
    h.set(TAG_HEADER, await sessionTag(nodeHmacSha256, session.keys.leadToAgent, sessionId, heartbeat.seq, body));
    msg.respond(body, { headers: h });
    this.notify();
  }

  private replyTo(heartbeat: Heartbeat, t2: number) {
    return {
      ...this.header(),
      kind: 'HEARTBEAT_REPLY' as const,
      agent_id: heartbeat.agent_id,
      accepted: true,
      t1: heartbeat.t1,
      t2,
      frozen: this.hints.frozen,
      config_epoch: 1,
      mode: this.hints.mode,
      ...(this.hints.heartbeat_interval_ms === undefined ? {} : { heartbeat_interval_ms: this.hints.heartbeat_interval_ms }),
      ...(this.hints.lease_epoch === undefined ? {} : { lease_epoch: this.hints.lease_epoch }),
      t3: 0,
    };
  }

  private async onHeartbeat(msg: Msg): Promise<void> {
    const sessionId = msg.headers?.get(SESSION_HEADER);
    const tag = msg.headers?.get(TAG_HEADER);
    if (sessionId && tag) return this.onTaggedHeartbeat(msg, sessionId, tag);
    if (sessionId || tag) {
      msg.respond(encoder.encode(JSON.stringify({ ok: false, code: 'SESSION_UNKNOWN', message: 'session beats need both headers' })));
      return;
    }
    const signer = msg.headers?.get(SIGNER_HEADER) ?? '';
    this.signedBeatsFrom.set(signer, (this.signedBeatsFrom.get(signer) ?? 0) + 1);
    if (this.shedding(msg, 'signedBeats')) return;
    const t2 = this.now();
    const verified = await this.verify(msg, 'heartbeat');
    if (!verified.ok || verified.value.kind !== 'HEARTBEAT') return;
    const heartbeat = verified.value;
    this.heartbeats.push({ heartbeat, t2 });
    const reply = this.replyTo(heartbeat, t2);
    reply.t3 = this.now();
    const frame = await this.sign(reply);
    const h = natsHeaders();
    for (const [k, v] of Object.entries(frame.headers)) h.set(k, v);
    msg.respond(frame.body, { headers: h });
    this.notify();
  }

  private async onAck(msg: Msg): Promise<void> {
    if (this.silent) return;
    const verified = await this.verify(msg, 'ack', true);
    if (!verified.ok || verified.value.kind !== 'ACK') {
      if (!verified.ok) msg.respond(encoder.encode(JSON.stringify({ ok: false, code: verified.error.code, message: verified.error.message })));
      return;
    }
    const ack = verified.value;
    this.ackArrivals.push(ack);
    const key = `${ack.operation_id}/${ack.agent_id}`;
    if (!this.acks.has(key)) this.acks.set(key, ack);
    await this.confirm(msg, ack);
    this.notify();
  }

  private async onConflict(msg: Msg): Promise<void> {
    if (this.silent) return;
    const verified = await this.verify(msg, 'conflict', true);
    if (!verified.ok || verified.value.kind !== 'CONFLICT') return;
    const report = verified.value;
    if (!this.conflicts.has(report.conflict_id)) this.conflicts.set(report.conflict_id, report);
    await this.confirm(msg, report);
    this.notify();
  }

  /** The signed REPLY an agent needs before it drops what it sent (docs/protocol.md). */
  private async confirm(msg: Msg, request: Ack | ConflictReport): Promise<void> {
    const frame = await this.sign({ ...this.header(), kind: 'REPLY' as const, in_reply_to: request.message_id, to: request.agent_id, ok: true });
    const h = natsHeaders();
    for (const [k, v] of Object.entries(frame.headers)) h.set(k, v);
    msg.respond(frame.body, { headers: h });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
