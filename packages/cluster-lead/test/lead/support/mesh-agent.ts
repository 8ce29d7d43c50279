// An agent for end-to-end tests of the whole lead: enrolled by the test root (test/support),
// heartbeats with the clock exchange, COORDINATE -> ACK in every mode (ready, or a conflict on
// demand), PONGs for probes, and what it heard on the control subject. Its heartbeat body and
// selector check are the scatter tests' own (test/scatter/support).
import {
  MeshClock,
  OffsetEstimator,
  PROTOCOL_VERSION,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  encodeMessage,
  isKind,
  newMessageId,
  subjects,
  verifyAndParse,
  type Ack,
  type Clock,
  type Coordinate,
  type HeartbeatReply,
  type KeyResolver,
  type MeshMessage,
  type Ping,
  type Pong,
  type SignedRecord,
} from '@mesh30k/shared';
import { nodeEd25519, type NodeSigner } from '@mesh30k/shared/node';
import { connect, headers, type Msg, type MsgHdrs, type NatsConnection } from 'nats';
import { RealScheduler } from '../../../src/scatter/real-scheduler.js';
import { heartbeatBody } from '../../scatter/support/heartbeat.js';
import { selectorMatches } from '../../scatter/support/selector-match.js';
import { enroll, type TestRoot } from '../../support/test-agents.js';
import { verdictOf } from '../../../../../test/harness/index.js';

const TIMEOUT_MS = 5_000;
const decoder = new TextDecoder();
export const PROCESSING_MS = 40;
/**
 * Ready instants are stamped first; the ACK is signed and sent this much later. Every agent of a
 * test shares one event loop with the others (and with the lead): an ACK signed, sent, verified
 * by the lead and answered inside the ready callback delays the ready stamps of the agents due
 * at the same T behind it, which on real hardware each have a CPU of their own.
 */
export const ACK_SEND_DELAY_MS = 15;

export interface MeshAgentSpec {
  readonly agentId: string;
  readonly clusterId: string;
  readonly sectorId: string;
  readonly leadId: string;
  readonly clock: Clock;
  readonly resolveLeadKey: KeyResolver;
}

export class MeshAgent {
  readonly mesh: MeshClock;
  readonly errors: unknown[] = [];
  readonly control: MeshMessage[] = [];
  lastReply: HeartbeatReply | null = null;
  /** Local (= true, when the clock is the lead's) instant this agent became ready, per operation. */
  readonly readyAt = new Map<string, number>();
  /** When set, COORDINATEs are answered with this conflict (trinary -1). */
  conflict: Ack['conflict'] | null = null;
  private nc: NatsConnection | null = null;
  private seq = 0;
  private readonly scheduler: RealScheduler;

  private constructor(
    readonly spec: MeshAgentSpec,
    readonly signer: NodeSigner,
    readonly enrollment: SignedRecord,
  ) {
    this.mesh = new MeshClock({ local: spec.clock, estimator: new OffsetEstimator({ clock: spec.clock }) });
    this.scheduler = new RealScheduler({ clock: spec.clock, onError: (error) => this.errors.push(error) });
  }

  static async create(spec: MeshAgentSpec, root: TestRoot): Promise<MeshAgent> {
    const pair = await nodeEd25519.generateKeyPair();
    const enrollment = await enroll(root, { agentId: spec.agentId, publicKey: pair.publicKey, clusterId: spec.clusterId, sectorId: spec.sectorId, issuedAt: spec.clock.now() - 1_000 });
    return new MeshAgent(spec, nodeEd25519.signerSync(pair.privateKey), enrollment);
  }

  get agentId(): string {
    return this.spec.agentId;
  }

  get connected(): boolean {
    return this.nc !== null;
  }

  async connect(url: string): Promise<void> {
    const nc = await connect({ servers: url, reconnect: false, name: this.agentId });
    this.nc = nc;
    const onCoordinate = (error: Error | null, msg: Msg): void => {
      if (error === null) this.onCoordinate(msg, this.spec.clock.now()).catch((failure: unknown) => this.errors.push(failure));
    };
    nc.subscribe(subjects.coordinateGroup(this.spec.leadId), { callback: onCoordinate });
    nc.subscribe(subjects.coordinateAgent(this.agentId), { callback: onCoordinate });
    nc.subscribe(subjects.control(this.spec.leadId), {
      callback: (_e, msg) => {
        void this.verify(msg, ['CIRCUIT', 'FREEZE', 'THAW']).then((m) => m !== null && this.control.push(m));
      },
    });
    nc.subscribe(subjects.probe(this.agentId), { callback: (_e, msg) => void this.pong(msg) });
    await nc.flush();
  }

  /** Heartbeats; every one after the first feeds the clock exchange. */
  async heartbeat(exchanges = 1): Promise<HeartbeatReply> {
    let reply: HeartbeatReply | null = null;
    for (let i = 0; i < exchanges; i++) {
      const local = this.spec.clock;
      const t1 = local.now();
      const report = this.mesh.estimator.report(t1);
      const clock = report === null ? null : { ...report, jitter_ms: this.mesh.estimator.jitterMs() };
      const body = heartbeatBody({ ...this.spec, agentClass: 'E', capabilities: ['sensor.read'], processingMs: PROCESSING_MS }, this.seq++, t1, this.mesh.toMesh(t1), clock);
      const frame = await encodeMessage(body, this.signer, this.agentId);
      const answer = await this.connection().request(subjects.heartbeat(this.spec.leadId), frame.body, { headers: frameHeaders(frame), timeout: TIMEOUT_MS });
      const t4 = local.now();
      const verified = await this.verify(answer, ['HEARTBEAT_REPLY']);
      if (verified === null || !isKind(verified, 'HEARTBEAT_REPLY')) throw new Error(`${this.agentId}: bad heartbeat reply`);
      reply = verified;
      if (verified.accepted) this.mesh.estimator.addExchange({ t1, t2: verified.t2, t3: verified.t3, t4 });
    }
    this.lastReply = reply;
    return reply!;
  }

  /** Sends a CONFLICT report on the lead's conflict subject; returns the lead's JSON answer. */
  async report(conflictId: string, detail: NonNullable<Ack['conflict']>): Promise<unknown> {
    const now = this.mesh.meshNow();
    const frame = await encodeMessage(
      { v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: this.agentId, created_at: now, ttl_ms: 30_000, kind: 'CONFLICT', conflict_id: conflictId, agent_id: this.agentId, conflict_type: detail.type, priority: 2, detail },
      this.signer,
      this.agentId,
    );
    const answer = await this.connection().request(subjects.conflict(this.spec.leadId), frame.body, { headers: frameHeaders(frame), timeout: TIMEOUT_MS });
    return verdictOf(answer.data);
  }

  /** Goes silent: no heartbeats, ACKs or PONGs from now on. */
  async kill(): Promise<void> {
    const nc = this.nc;
    this.nc = null;
    if (nc !== null && !nc.isClosed()) await nc.close();
  }

  private async verify(msg: Msg, accept: MeshMessage['kind'][]): Promise<MeshMessage | null> {
    const verified = await verifyAndParse(
      { body: msg.data, signerId: msg.headers?.get(SIGNER_HEADER), signature: msg.headers?.get(SIGNATURE_HEADER) },
      { ed25519: nodeEd25519, resolveKey: this.spec.resolveLeadKey, accept },
    );
    if (!verified.ok) {
      this.errors.push(verified.error);
      return null;
    }
    return verified.value.message;
  }

  private async onCoordinate(msg: Msg, receivedLocal: number): Promise<void> {
    const message = await this.verify(msg, ['COORDINATE']);
    if (message === null || !isKind(message, 'COORDINATE') || !selectorMatches(message.selector, { ...this.spec, agentClass: 'E', capabilities: ['sensor.read'] })) return;
    this.scheduler.at(receivedLocal + PROCESSING_MS, () => this.processed(message, receivedLocal), 'send');
  }

  private processed(coordinate: Coordinate, receivedLocal: number): void {
    const releaseLocal = coordinate.release_mode === 'hold' ? this.mesh.toLocal(coordinate.target_time) : -Infinity;
    if (this.spec.clock.now() >= releaseLocal) return this.ready(coordinate, receivedLocal);
    this.scheduler.at(releaseLocal, () => this.ready(coordinate, receivedLocal), 'send');
  }

  private ready(coordinate: Coordinate, receivedLocal: number): void {
    const readyLocal = this.spec.clock.now();
    this.readyAt.set(coordinate.operation_id, readyLocal);
    setTimeout(() => {
      this.sendAck(coordinate, receivedLocal, readyLocal).catch((error: unknown) => this.errors.push(error));
    }, ACK_SEND_DELAY_MS);
  }

  private async sendAck(coordinate: Coordinate, receivedLocal: number, readyLocal: number): Promise<void> {
    if (this.nc === null) return;
    const now = this.mesh.meshNow();
    const conflict = this.conflict;
    const ack: Ack = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(now),
      sender_id: this.agentId,
      created_at: now,
      ttl_ms: 30_000,
      kind: 'ACK',
      operation_id: coordinate.operation_id,
      coordinate_id: coordinate.message_id,
      agent_id: this.agentId,
      trinary_state: conflict === null ? 1 : -1,
      release_mode: coordinate.release_mode,
      received_at_local: receivedLocal,
      ready_at_local: readyLocal,
      ready_at_mesh: this.mesh.toMesh(readyLocal),
      processing_ms: PROCESSING_MS,
      late: false,
      ...(conflict === null ? {} : { conflict }),
    };
    const frame = await encodeMessage(ack, this.signer, this.agentId);
    const reply = await this.connection().request(subjects.ack(this.spec.leadId), frame.body, { headers: frameHeaders(frame), timeout: TIMEOUT_MS });
    const answer = verdictOf(reply.data);
    if (!answer.ok) this.errors.push(answer);
  }

  private async pong(msg: Msg): Promise<void> {
    if (this.nc === null) return;
    const { clock } = this.spec;
    const t2 = clock.now();
    const ping = JSON.parse(decoder.decode(msg.data)) as Ping;
    const pong: Pong = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(t2),
      sender_id: this.agentId,
      created_at: t2,
      ttl_ms: 5_000,
      kind: 'PONG',
      agent_id: this.agentId,
      t1: ping.t1,
      t2,
      t3: clock.now(),
      agent_class: 'E',
      capabilities: ['sensor.read'],
      frozen: this.lastReply?.frozen ?? false,
      stats: { requests: 0, processing_p50_ms: null, processing_p95_ms: null, queue_depth: 0 },
    };
    const frame = await encodeMessage(pong, this.signer, this.agentId);
    msg.respond(frame.body, { headers: frameHeaders(frame) });
  }

  private connection(): NatsConnection {
    if (this.nc === null) throw new Error(`${this.agentId} is not connected`);
    return this.nc;
  }
}

function frameHeaders(frame: { signerId: string; signature: string }): MsgHdrs {
  const h = headers();
  h.set(SIGNER_HEADER, frame.signerId);
  h.set(SIGNATURE_HEADER, frame.signature);
  return h;
}

/** Real time that a test can also jump forward (liveness and breaker deadlines without sleeping). */
export class SteppingClock implements Clock {
  private shift = 0;
  now(): number {
    return performance.timeOrigin + performance.now() + this.shift;
  }
  advance(ms: number): void {
    this.shift += ms;
  }
}
