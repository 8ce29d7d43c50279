/**
 * A small stand-in for the Pi agent, built only from @mesh30k/shared: its own key pair, an
 * enrollment signed by a test mesh root, signed heartbeats over NATS, and PONGs for the
 * lead's probes. Until pi-daemon's simulation mode is wired into these tests, this is what
 * talks to the lead.
 */
import {
  PROTOCOL_VERSION,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  encodeMessage,
  err,
  issueEnrollment,
  keyId,
  newMessageId,
  ok,
  publicKeyText,
  subjects,
  verifyAndParse,
  type AgentClass,
  type AgentImpedance,
  type Clock,
  type ClockReport,
  type Heartbeat,
  type HeartbeatReply,
  type KeyPair,
  type Ping,
  type Pong,
  type Role,
  type SignedFrame,
  type SignedRecord,
} from '@mesh30k/shared';
import { nodeEd25519, type NodeSigner } from '@mesh30k/shared/node';
import { connect, headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from 'nats';


/** A compact unsigned refusal: what the lead answers a frame it refused before knowing its sender. */
export interface UnsignedRefusal {
  readonly accepted: false;
  /** `CODE: message`, as a signed reply's reason reads. */
  readonly reason: string;
  readonly unsigned: true;
}

/** The lead's answer to a heartbeat: a verified HEARTBEAT_REPLY, or an unsigned refusal. */
export type LeadAnswer = HeartbeatReply | UnsignedRefusal;

/** The answer as a signed HEARTBEAT_REPLY; throws on an unsigned refusal. */
export function signedReply(answer: LeadAnswer): HeartbeatReply {
  if ('unsigned' in answer) throw new Error(`expected a signed reply, got an unsigned refusal: ${answer.reason}`);
  return answer;
}

export const YEAR_MS = 365 * 86_400_000;
const REQUEST_TIMEOUT_MS = 5_000;

export interface TestRoot {
  keys: KeyPair;
  signer: NodeSigner;
  keyId: string;
  publicKeyText: string;
}

export async function createTestRoot(): Promise<TestRoot> {
  const keys = await nodeEd25519.generateKeyPair();
  return { keys, signer: nodeEd25519.signerSync(keys.privateKey), keyId: await keyId(keys.publicKey), publicKeyText: publicKeyText(keys.publicKey) };
}

export interface EnrollmentSpec {
  agentId: string;
  publicKey: Uint8Array;
  agentClass?: AgentClass;
  role?: Role;
  capabilities?: string[];
  clusterId: string;
  sectorId?: string;
  issuedAt: number;
  expiresAt?: number;
}

export async function enroll(root: TestRoot, spec: EnrollmentSpec): Promise<SignedRecord> {
  const signed = await issueEnrollment(root.signer, {
    v: PROTOCOL_VERSION,
    agent_id: spec.agentId,
    public_key: publicKeyText(spec.publicKey),
    role: spec.role ?? 'agent',
    class: spec.agentClass ?? 'E',
    capabilities: spec.capabilities ?? ['sensor.read'],
    cluster_id: spec.clusterId,
    ...(spec.sectorId === undefined ? {} : { sector_id: spec.sectorId }),
    issued_at: spec.issuedAt,
    expires_at: spec.expiresAt ?? spec.issuedAt + YEAR_MS,
    issuer_key_id: root.keyId,
  });
  if (!signed.ok) throw signed.error;
  return signed.value;
}

export interface TestAgentOptions {
  agentId: string;
  leadId: string;
  /** The lead's key, or its keys (an HA group whose leads each have their own; read at each check, so it may grow). */
  leadPublicKey: Uint8Array | readonly Uint8Array[];
  root: TestRoot;
  clusterId: string;
  sectorId?: string;
  agentClass?: AgentClass;
  capabilities?: string[];
  /** The agent's clock. With the lead's manual clock, created_at is mesh time exactly. */
  clock: Clock;
  /** Leave the agent unenrolled (its enrollment is still created, but not meant to be used). */
  enrolledAt?: number;
}

export interface HeartbeatOverrides {
  impedance?: Partial<AgentImpedance>;
  clock?: Partial<ClockReport>;
  message?: Partial<Heartbeat>;
}

export interface HeartbeatExchange {
  sent: Heartbeat;
  frame: SignedFrame;
  reply: LeadAnswer;
}

export class TestAgent {
  private nc: NatsConnection | undefined;
  private probeSub: Subscription | undefined;
  seq = 0;
  /** PINGs answered so far. */
  probesAnswered = 0;

  private constructor(
    readonly options: TestAgentOptions,
    public keys: KeyPair,
    public signer: NodeSigner,
    readonly enrollment: SignedRecord,
  ) {}

  /** Signs from now on with another key pair (after a rotation, or to act as an impostor). */
  useKeys(keys: KeyPair): void {
    this.keys = keys;
    this.signer = nodeEd25519.signerSync(keys.privateKey);
  }

  /** A raw request on any subject, for announcements and the like. */
  requestOn(subject: string, frame: SignedFrame): Promise<Msg> {
    const h = natsHeaders();
    h.set(SIGNER_HEADER, frame.signerId);
    h.set(SIGNATURE_HEADER, frame.signature);
    return this.connection().request(subject, frame.body, { timeout: REQUEST_TIMEOUT_MS, headers: h });
  }

  static async create(options: TestAgentOptions): Promise<TestAgent> {
    const keys = await nodeEd25519.generateKeyPair();
    const enrollment = await enroll(options.root, {
      agentId: options.agentId,
      publicKey: keys.publicKey,
      clusterId: options.clusterId,
      issuedAt: options.enrolledAt ?? options.clock.now() - 1_000,
      ...(options.sectorId === undefined ? {} : { sectorId: options.sectorId }),
      ...(options.agentClass === undefined ? {} : { agentClass: options.agentClass }),
      ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
    });
    return new TestAgent(options, keys, nodeEd25519.signerSync(keys.privateKey), enrollment);
  }

  get agentId(): string {
    return this.options.agentId;
  }

  async connect(url: string): Promise<void> {
    this.nc = await connect({ servers: url, reconnect: false, name: `test-agent-${this.agentId}` });
  }

  buildHeartbeat(overrides: HeartbeatOverrides = {}): Heartbeat {
    const now = this.options.clock.now();
    const o = this.options;
    return {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(now),
      sender_id: o.agentId,
      created_at: now,
      ttl_ms: 10_000,
      kind: 'HEARTBEAT',
      agent_id: o.agentId,
      cluster_id: o.clusterId,
      seq: this.seq++,
      t1: now,
      impedance: {
        agent_id: o.agentId,
        agent_class: o.agentClass ?? 'E',
        sector_id: o.sectorId ?? 'sector-1',
        cluster_id: o.clusterId,
        current_latency_ms: 20,
        current_processing_ms: 120,
        current_queue_depth: 1,
        last_heartbeat: now,
        impedance_score: 250,
        reliability_score: 0.98,
        drift_coefficient: 0.1,
        operational_state: 'active',
        current_context_hash: '',
        capabilities: o.capabilities ?? ['sensor.read'],
        ...overrides.impedance,
      },
      clock: { offset_ms: -12.5, delay_ms: 18, drift_ppm: 4, confidence: 0.9, error_bound_ms: 3, samples: 8, jitter_ms: 2, ...overrides.clock },
      health: { cpu_load_pct: 5, temperature_c: 45, memory_used_pct: 30, disk_used_pct: 10, throttle: null, uptime_s: 1000, ntp_synchronized: true },
      frozen: false,
      outbox_depth: 0,
      ...overrides.message,
    };
  }

  sign(heartbeat: Heartbeat): Promise<SignedFrame> {
    return encodeMessage(heartbeat, this.signer, this.agentId);
  }

  /** Sends a signed heartbeat and returns the lead's verified reply. */
  async heartbeat(overrides: HeartbeatOverrides = {}): Promise<HeartbeatExchange> {
    const sent = this.buildHeartbeat(overrides);
    const frame = await this.sign(sent);
    const reply = await this.sendFrame(frame);
    return { sent, frame, reply };
  }

  /** Sends a frame exactly as given and returns the verified reply (throws if it does not verify). */
  async sendFrame(frame: { body: Uint8Array; signerId?: string | null; signature?: string | null }): Promise<LeadAnswer> {
    const answer = await this.request(frame);
    return this.verifyReply(answer);
  }

  /** The raw answer to a raw request (for frames the lead may not answer at all). */
  request(frame: { body: Uint8Array; signerId?: string | null; signature?: string | null }): Promise<Msg> {
    const h = natsHeaders();
    if (frame.signerId) h.set(SIGNER_HEADER, frame.signerId);
    if (frame.signature) h.set(SIGNATURE_HEADER, frame.signature);
    return this.connection().request(subjects.heartbeat(this.options.leadId), frame.body, { timeout: REQUEST_TIMEOUT_MS, headers: h });
  }

  async verifyReply(answer: Msg): Promise<LeadAnswer> {
    const { leadId, leadPublicKey } = this.options;
    if (!answer.headers?.get(SIGNATURE_HEADER)) {
      // A compact unsigned refusal (a frame refused before the lead knew its sender): as a
      // refused reply, with no clock fields the test could mistake for the lead's.
      const { code, message } = JSON.parse(new TextDecoder().decode(answer.data)) as { code: string; message: string };
      return { accepted: false, reason: `${code}: ${message}`, unsigned: true };
    }
    const verified = await verifyAndParse(
      { body: answer.data, signerId: answer.headers?.get(SIGNER_HEADER), signature: answer.headers?.get(SIGNATURE_HEADER) },
      {
        ed25519: nodeEd25519,
        resolveKey: (id) => (id === leadId ? ok(leadPublicKey instanceof Uint8Array ? leadPublicKey : [...leadPublicKey]) : err({ code: 'UNKNOWN_SIGNER', message: id })),
        accept: ['HEARTBEAT_REPLY'],
      },
    );
    if (!verified.ok) throw new Error(`lead reply refused: ${verified.error.code} ${verified.error.message}`);
    return verified.value.message as HeartbeatReply;
  }

  /** Answers the lead's PINGs with signed PONGs (t2, t3 on this agent's clock). */
  answerProbes(): void {
    const { agentId, clock } = this.options;
    this.probeSub = this.connection().subscribe(subjects.probe(agentId), {
      callback: (_error, msg) => {
        void (async () => {
          const t2 = clock.now();
          const ping = JSON.parse(new TextDecoder().decode(msg.data)) as Ping;
          const pong: Pong = {
            v: PROTOCOL_VERSION,
            message_id: newMessageId(t2),
            sender_id: agentId,
            created_at: t2,
            ttl_ms: 5_000,
            kind: 'PONG',
            agent_id: agentId,
            t1: ping.t1,
            t2,
            t3: clock.now(),
            agent_class: this.options.agentClass ?? 'E',
            capabilities: this.options.capabilities ?? ['sensor.read'],
            frozen: false,
            stats: { requests: 0, processing_p50_ms: null, processing_p95_ms: null, queue_depth: 0 },
          };
          const frame = await encodeMessage(pong, this.signer, agentId);
          const h = natsHeaders();
          h.set(SIGNER_HEADER, frame.signerId);
          h.set(SIGNATURE_HEADER, frame.signature);
          this.probesAnswered++;
          msg.respond(frame.body, { headers: h });
        })();
      },
    });
  }

  async flush(): Promise<void> {
    await this.connection().flush();
  }

  async close(): Promise<void> {
    this.probeSub?.unsubscribe();
    const nc = this.nc;
    this.nc = undefined;
    if (nc !== undefined && !nc.isClosed()) await nc.close();
  }

  private connection(): NatsConnection {
    if (this.nc === undefined) throw new Error(`test agent ${this.agentId} is not connected`);
    return this.nc;
  }
}
