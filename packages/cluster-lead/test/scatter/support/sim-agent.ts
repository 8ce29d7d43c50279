// A small protocol-speaking agent for the integration test (packages/pi-daemon has no sim CLI
// yet): NATS through its own link, a skewed clock, heartbeats for the clock exchange, and
// COORDINATE -> ACK in lead, hold and none modes. It stamps the ready instant first and signs
// and sends the ACK afterwards, and it keeps the TRUE ready time, which only a test can know.
import {
  MeshClock,
  OffsetEstimator,
  PROTOCOL_VERSION,
  ReplayGuard,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  encodeMessage,
  isKind,
  newMessageId,
  subjects,
  verifyAndParse,
} from '@mesh30k/shared';
import type { Ack, AgentClass, Coordinate, KeyResolver, Signer } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { connect, headers } from 'nats';
import type { Msg, MsgHdrs, NatsConnection } from 'nats';
import { RealScheduler } from '../../../src/scatter/real-scheduler.js';
import { heartbeatBody } from './heartbeat.js';
import { selectorMatches } from './selector-match.js';
import type { SkewedClock } from './skewed-clock.js';
import { verdictOf } from '../../../../../test/harness/index.js';

/** Ready instants are stamped first; ACKs are signed and sent this much later, so stamps that fall together are not delayed by signing. */
export const ACK_SEND_DELAY_MS = 15;
const REQUEST_TIMEOUT_MS = 10_000;

export interface SimAgentSpec {
  readonly agentId: string;
  readonly agentClass: AgentClass;
  readonly capabilities: readonly string[];
  readonly clusterId: string;
  readonly sectorId: string;
  /** How long the verb takes here, on every COORDINATE. */
  readonly processingMs: number;
  readonly clock: SkewedClock;
  readonly natsUrl: string;
  readonly leadId: string;
  readonly signer: Signer;
  readonly resolveLeadKey: KeyResolver;
}

export interface Readiness {
  readonly mode: Coordinate['release_mode'];
  readonly targetMs: number;
  /** True (lead-clock) instant the agent became ready. */
  readonly trueReadyMs: number;
  readonly ackReply: Promise<unknown>;
}

export class SimAgent {
  readonly readiness = new Map<string, Readiness>();
  readonly mesh: MeshClock;
  private readonly scheduler: RealScheduler;
  private readonly replay: ReplayGuard;
  private seq = 0;
  readonly errors: unknown[] = [];

  private constructor(
    readonly spec: SimAgentSpec,
    private readonly nc: NatsConnection,
  ) {
    this.mesh = new MeshClock({ local: spec.clock, estimator: new OffsetEstimator({ clock: spec.clock }) });
    this.scheduler = new RealScheduler({ clock: spec.clock, onError: (error) => this.errors.push(error) });
    this.replay = new ReplayGuard({ clock: this.mesh });
  }

  static async start(spec: SimAgentSpec): Promise<SimAgent> {
    const nc = await connect({ servers: spec.natsUrl, reconnect: false, timeout: REQUEST_TIMEOUT_MS, name: spec.agentId });
    const agent = new SimAgent(spec, nc);
    const onCoordinate = (error: Error | null, msg: Msg): void => {
      if (error === null) agent.onCoordinate(msg, spec.clock.now()).catch((failure: unknown) => agent.errors.push(failure));
    };
    nc.subscribe(subjects.coordinateGroup(spec.leadId), { callback: onCoordinate });
    nc.subscribe(subjects.coordinateAgent(spec.agentId), { callback: onCoordinate });
    await nc.flush();
    return agent;
  }

  /**
   * One warm-up heartbeat whose exchange is not used (first-call costs on both sides would
   * pollute the delay history), the clock exchanges, then one heartbeat that reports the estimate.
   */
  async syncClock(exchanges: number): Promise<void> {
    await this.heartbeat(false);
    for (let i = 0; i <= exchanges; i += 1) await this.heartbeat(true);
  }

  close(): Promise<void> {
    return this.nc.close();
  }

  private async heartbeat(useExchange: boolean): Promise<void> {
    const local = this.spec.clock;
    const t1 = local.now();
    const report = this.mesh.estimator.report(t1);
    const clock = report === null ? null : { ...report, jitter_ms: this.mesh.estimator.jitterMs() };
    const body = heartbeatBody({ ...this.spec, processingMs: this.spec.processingMs }, this.seq++, t1, this.mesh.toMesh(t1), clock);
    const frame = await encodeMessage(body, this.spec.signer, this.spec.agentId);
    const reply = await this.nc.request(subjects.heartbeat(this.spec.leadId), frame.body, { headers: frameHeaders(frame), timeout: REQUEST_TIMEOUT_MS });
    const t4 = local.now();
    const verified = await verifyAndParse(
      { body: reply.data, signerId: reply.headers?.get(SIGNER_HEADER), signature: reply.headers?.get(SIGNATURE_HEADER) },
      { ed25519: nodeEd25519, resolveKey: this.spec.resolveLeadKey, accept: ['HEARTBEAT_REPLY'] },
    );
    if (!verified.ok || !isKind(verified.value.message, 'HEARTBEAT_REPLY')) throw new Error(`bad heartbeat reply: ${JSON.stringify(verified)}`);
    const { t2, t3 } = verified.value.message;
    if (!useExchange) return;
    const added = this.mesh.estimator.addExchange({ t1, t2, t3, t4 });
    if (!added.ok) throw added.error;
  }

  private async onCoordinate(msg: Msg, receivedLocal: number): Promise<void> {
    const verified = await verifyAndParse(
      { body: msg.data, signerId: msg.headers?.get(SIGNER_HEADER), signature: msg.headers?.get(SIGNATURE_HEADER) },
      { ed25519: nodeEd25519, resolveKey: this.spec.resolveLeadKey, accept: ['COORDINATE'], replay: this.replay },
    );
    if (!verified.ok) {
      this.errors.push(verified.error);
      return;
    }
    const message = verified.value.message;
    if (!isKind(message, 'COORDINATE') || !selectorMatches(message.selector, this.spec)) return;
    const doneLocal = receivedLocal + this.spec.processingMs;
    this.scheduler.at(doneLocal, () => this.processed(message, receivedLocal), 'send');
  }

  private processed(coordinate: Coordinate, receivedLocal: number): void {
    if (coordinate.release_mode !== 'hold') return this.ready(coordinate, receivedLocal);
    const releaseLocal = this.mesh.toLocal(coordinate.target_time);
    if (this.spec.clock.now() >= releaseLocal) return this.ready(coordinate, receivedLocal);
    this.scheduler.at(releaseLocal, () => this.ready(coordinate, receivedLocal), 'send');
  }

  private ready(coordinate: Coordinate, receivedLocal: number): void {
    const readyLocal = this.spec.clock.now();
    const trueReadyMs = this.spec.clock.toTrue(readyLocal);
    const ackReply = new Promise<unknown>((resolve) => {
      setTimeout(() => {
        this.sendAck(coordinate, receivedLocal, readyLocal).then(resolve, (error: unknown) => resolve({ error: String(error) }));
      }, ACK_SEND_DELAY_MS);
    });
    this.readiness.set(coordinate.operation_id, { mode: coordinate.release_mode, targetMs: coordinate.target_time, trueReadyMs, ackReply });
  }

  private async sendAck(coordinate: Coordinate, receivedLocal: number, readyLocal: number): Promise<unknown> {
    const now = this.mesh.meshNow();
    const ack: Ack = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(now),
      sender_id: this.spec.agentId,
      created_at: now,
      ttl_ms: 30_000,
      kind: 'ACK',
      operation_id: coordinate.operation_id,
      coordinate_id: coordinate.message_id,
      agent_id: this.spec.agentId,
      trinary_state: 1,
      release_mode: coordinate.release_mode,
      received_at_local: receivedLocal,
      ready_at_local: readyLocal,
      ready_at_mesh: this.mesh.toMesh(readyLocal),
      processing_ms: this.spec.processingMs,
      late: false,
    };
    const frame = await encodeMessage(ack, this.spec.signer, this.spec.agentId);
    const reply = await this.nc.request(subjects.ack(this.spec.leadId), frame.body, { headers: frameHeaders(frame), timeout: REQUEST_TIMEOUT_MS });
    return verdictOf(reply.data);
  }
}

function frameHeaders(frame: { signerId: string; signature: string }): MsgHdrs {
  const h = headers();
  h.set(SIGNER_HEADER, frame.signerId);
  h.set(SIGNATURE_HEADER, frame.signature);
  return h;
}

