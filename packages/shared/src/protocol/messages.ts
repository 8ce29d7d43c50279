import { z } from 'zod';
import { ConflictDetail, ConflictPriority } from '../conflicts/classify.js';
import { SignedRecord } from '../identity/signed-record.js';
import { AgentImpedance } from '../impedance/agent-impedance.js';
import {
  AgentClass,
  BreakerAction,
  ConflictType,
  MeshMode,
  PROTOCOL_VERSION,
  Priority,
  ReleaseMode,
  RoutingStrategy,
  Scope,
  TrinaryState,
  Verb,
} from './enums.js';
import { SystemHealth } from './health.js';
import { PayloadValue } from './limits.js';
import { Capabilities, DurationMs, OffsetMs, EpochMs, Id, LeaseEpoch, MessageId, Sha256Hex, ShortText } from './primitives.js';

/**
 * Fields every message carries. `created_at` is the sender's best estimate of mesh time
 * (the lead's clock); `ttl_ms` bounds how long the message may be acted on.
 */
const header = {
  v: z.literal(PROTOCOL_VERSION),
  message_id: MessageId,
  sender_id: Id,
  created_at: EpochMs,
  ttl_ms: DurationMs,
  correlation_id: MessageId.optional(),
  causation_id: MessageId.optional(),
};

/** The agent's view of its clock against its lead, sent with every heartbeat. */
export const ClockReport = z.object({
  offset_ms: OffsetMs,
  delay_ms: DurationMs,
  drift_ppm: z.number().finite().min(-1000).max(1000),
  confidence: z.number().min(0).max(1),
  // Grows without limit while heartbeats fail.
  error_bound_ms: z.number().finite().min(0).max(8.64e15),
  samples: z.number().int().min(0).max(10_000),
  /** Spread of recent round-trip delays; the lead widens this agent's send buffer with it. */
  jitter_ms: DurationMs.optional(),
});
export type ClockReport = z.infer<typeof ClockReport>;

/** Field sensor and actuator kinds an agent can configure (pi-daemon's sensors module). */
export const SensorKind = z.enum(['gpio.input', 'gpio.output', 'onewire.temperature', 'command']);
export type SensorKind = z.infer<typeof SensorKind>;

/** Sensor ids are also capability suffixes (`act:<id>`), so they are lower-case ids. */
export const SensorId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'must be 1-48 of [a-z0-9_-], starting with a letter or digit');

/** One reading: a number, an on/off state, a short text, or null when the reading failed. */
export const SensorValue = z.union([z.number().finite(), z.boolean(), z.string().max(256), z.null()]);
export type SensorValue = z.infer<typeof SensorValue>;

/** The last reading of one sensor, as the heartbeat summarises it. */
export const SensorSummary = z.object({
  sensor_id: SensorId,
  value: SensorValue,
  unit: z.string().max(16).optional(),
  /** Mesh time when the value was read. */
  sampled_at: EpochMs,
  seq: z.number().int().min(0),
});
export type SensorSummary = z.infer<typeof SensorSummary>;

/** Most sensors one heartbeat summarises (and one agent may configure). */
export const MAX_SENSORS = 64;

export const Heartbeat = z.object({
  ...header,
  kind: z.literal('HEARTBEAT'),
  agent_id: Id,
  cluster_id: Id,
  /**
   * Moves forward with every heartbeat of an agent, and across its restarts where its state
   * survives; with `boot_id` it makes any earlier heartbeat detectable whatever the clocks say.
   */
  seq: z.number().int().min(0),
  /**
   * Random id the agent draws at start. A lead refuses a heartbeat whose (boot_id, seq) is not
   * newer than the last it accepted from the agent. Optional for agents that predate it.
   */
  boot_id: Id.optional(),
  /** Agent clock when the request left: the first of the four clock-exchange timestamps. */
  t1: EpochMs,
  impedance: AgentImpedance,
  clock: ClockReport,
  health: SystemHealth,
  frozen: z.boolean(),
  outbox_depth: z.number().int().min(0),
  /** Last value of each configured sensor; absent from agents without sensors (and older ones). */
  sensors: z.array(SensorSummary).max(MAX_SENSORS).optional(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

export const HeartbeatReply = z.object({
  ...header,
  kind: z.literal('HEARTBEAT_REPLY'),
  agent_id: Id,
  accepted: z.boolean(),
  /** Refusal reason when not accepted (for example NOT_ENROLLED). */
  reason: ShortText.optional(),
  /** The refusal's stable code (NOT_ENROLLED, ...), so agents switch on it and not on the text. */
  reason_code: z.string().max(64).optional(),
  t1: EpochMs,
  /** Lead clock on receipt and on reply: the middle two clock-exchange timestamps. */
  t2: EpochMs,
  t3: EpochMs,
  frozen: z.boolean(),
  config_epoch: z.number().int().min(0),
  mode: MeshMode,
  heartbeat_interval_ms: DurationMs.optional(),
  /**
   * The epoch of the lease the lead held when it answered (HA leads only, absent otherwise).
   * An agent refuses a reply with a lower epoch than one it has seen (EpochFence): the late
   * answer of a lead that lost its lease to a successor.
   */
  lease_epoch: LeaseEpoch.optional(),
});
export type HeartbeatReply = z.infer<typeof HeartbeatReply>;

/**
 * A lead's clock exchange with an agent it dials (a Worker over HTTPS, or a Pi it probes
 * before declaring it offline): the lead stamps t1, the agent answers with a PONG.
 */
export const Ping = z.object({
  ...header,
  kind: z.literal('PING'),
  target_id: Id,
  t1: EpochMs,
  /**
   * The lead's current estimate of mesh time minus the target's clock, for targets that cannot
   * run the clock exchange themselves (Workers): it places the PING in their replay window.
   */
  clock_offset_ms: OffsetMs.optional(),
});
export type Ping = z.infer<typeof Ping>;

/** Processing statistics an agent reports about itself. */
export const ProcessingStats = z.object({
  requests: z.number().int().min(0),
  processing_p50_ms: DurationMs.nullable(),
  processing_p95_ms: DurationMs.nullable(),
  queue_depth: z.number().int().min(0),
});
export type ProcessingStats = z.infer<typeof ProcessingStats>;

export const Pong = z.object({
  ...header,
  kind: z.literal('PONG'),
  agent_id: Id,
  t1: EpochMs,
  /** Agent clock on receipt and on reply. */
  t2: EpochMs,
  t3: EpochMs,
  agent_class: AgentClass,
  capabilities: Capabilities,
  frozen: z.boolean(),
  stats: ProcessingStats,
});
export type Pong = z.infer<typeof Pong>;

/** Which agents an operation is for. An empty selector selects nobody. */
export const Selector = z.object({
  agent_ids: z.array(Id).max(10_000).optional(),
  capability: z.string().max(64).optional(),
  agent_class: AgentClass.optional(),
  cluster_id: Id.optional(),
  sector_id: Id.optional(),
  all: z.boolean().optional(),
});
export type Selector = z.infer<typeof Selector>;

export const Compensation = z.object({
  lead_time_ms: DurationMs,
  expected_processing_ms: DurationMs,
  confidence: z.number().min(0).max(1),
  /**
   * Mesh time minus this agent's clock, extrapolated to T, for agents whose offset the lead
   * measures (Workers): they hold until target_time - clock_offset_ms on their own clock.
   */
  clock_offset_ms: OffsetMs.optional(),
});
export type Compensation = z.infer<typeof Compensation>;

/**
 * Largest per-agent compensation map a COORDINATE may carry. A hold-mode group message to Pis
 * carries none (each converts T with its own offset); one to a Worker carries its own entry.
 */
export const MAX_COMPENSATION_ENTRIES = 256;

export const Coordinate = z.object({
  ...header,
  kind: z.literal('COORDINATE'),
  operation_id: Id,
  verb: Verb,
  /** Any JSON within the wire limits (depth, keys, bytes): see limits.ts. */
  payload: PayloadValue,
  payload_hash: Sha256Hex,
  payload_weight: z.number().min(0).max(10),
  /** T in mesh time: when every selected agent should be READY. */
  target_time: EpochMs,
  release_mode: ReleaseMode,
  arrival_window_ms: DurationMs,
  priority: Priority,
  requires_capabilities: Capabilities,
  selector: Selector,
  routing_strategy: RoutingStrategy,
  trinary_expectation: TrinaryState,
  compensation: z.record(Id, Compensation).optional().refine(
    (map) => map === undefined || Object.keys(map).length <= MAX_COMPENSATION_ENTRIES,
    `at most ${MAX_COMPENSATION_ENTRIES} entries; hold mode sends none`,
  ),
  /** The sending lead's lease epoch (HA leads only): agents refuse one lower than they have seen. */
  lease_epoch: LeaseEpoch.optional(),
});
export type Coordinate = z.infer<typeof Coordinate>;

export const Ack = z.object({
  ...header,
  kind: z.literal('ACK'),
  operation_id: Id,
  /** message_id of the COORDINATE this answers. */
  coordinate_id: MessageId,
  agent_id: Id,
  trinary_state: TrinaryState,
  release_mode: ReleaseMode,
  /** Agent clock when the COORDINATE arrived and when the agent became ready. */
  received_at_local: EpochMs,
  ready_at_local: EpochMs,
  /** The agent's conversion of its ready instant to mesh time. */
  ready_at_mesh: EpochMs,
  processing_ms: DurationMs,
  /** Set when the ACK was held in the outbox and delivered after the fact. */
  late: z.boolean(),
  /** The agent's outbox sequence number when delivered from the outbox, so order and gaps show. */
  outbox_seq: z.number().int().min(0).optional(),
  conflict: ConflictDetail.optional(),
  result: PayloadValue.optional(),
  refusal: z.object({ code: z.string().max(64), message: ShortText }).optional(),
  /** READY without new work: what was asked was already current here (a sync to the context it holds). */
  cache_hit: z.boolean().optional(),
});
export type Ack = z.infer<typeof Ack>;

export const Circuit = z.object({
  ...header,
  kind: z.literal('CIRCUIT'),
  action: BreakerAction,
  scope: Scope,
  target_id: Id,
  reason: ShortText,
  /** As on COORDINATE: the HA lead's lease epoch, absent without HA. */
  lease_epoch: LeaseEpoch.optional(),
});
export type Circuit = z.infer<typeof Circuit>;

export const Freeze = z.object({
  ...header,
  kind: z.literal('FREEZE'),
  scope: Scope,
  target_id: Id.optional(),
  preserve_state_to: z.string().max(256).optional(),
  reason: ShortText,
  /** As on COORDINATE: the HA lead's lease epoch, absent without HA. */
  lease_epoch: LeaseEpoch.optional(),
});
export type Freeze = z.infer<typeof Freeze>;

export const Thaw = z.object({
  ...header,
  kind: z.literal('THAW'),
  scope: Scope,
  target_id: Id.optional(),
  reason: ShortText,
  /** As on COORDINATE: the HA lead's lease epoch, absent without HA. */
  lease_epoch: LeaseEpoch.optional(),
});
export type Thaw = z.infer<typeof Thaw>;

const countByState = z.object({
  active: z.number().int().min(0),
  degraded: z.number().int().min(0),
  offline: z.number().int().min(0),
  quarantined: z.number().int().min(0),
});

/** What a lead reports to its parent every few seconds about its whole subtree. */
export const Summary = z.object({
  ...header,
  kind: z.literal('SUMMARY'),
  lead_id: Id,
  cluster_id: Id,
  sector_id: Id.optional(),
  agent_count: z.number().int().min(0),
  by_state: countByState,
  impedance: z.object({
    mean: z.number().min(0).max(1000),
    p50: z.number().min(0).max(1000),
    p95: z.number().min(0).max(1000),
    max: z.number().min(0).max(1000),
  }),
  /** Largest lead time any agent below this lead needs: the parent must start this early. */
  max_lead_time_ms: DurationMs,
  mode: MeshMode,
  frozen: z.boolean(),
  capabilities: Capabilities,
});
export type Summary = z.infer<typeof Summary>;

export const ConflictReport = z.object({
  ...header,
  kind: z.literal('CONFLICT'),
  conflict_id: MessageId,
  agent_id: Id,
  operation_id: Id.optional(),
  coordinate_id: MessageId.optional(),
  conflict_type: ConflictType,
  priority: ConflictPriority,
  late: z.boolean().optional(),
  outbox_seq: z.number().int().min(0).optional(),
  detail: ConflictDetail,
});
export type ConflictReport = z.infer<typeof ConflictReport>;

export const EnrollRequest = z.object({
  ...header,
  kind: z.literal('ENROLL_REQUEST'),
  request: SignedRecord,
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const Enrollment = z.object({
  ...header,
  kind: z.literal('ENROLLMENT'),
  enrollment: SignedRecord,
});
export type Enrollment = z.infer<typeof Enrollment>;

export const KeyRotation = z.object({
  ...header,
  kind: z.literal('KEY_ROTATION'),
  rotation: SignedRecord,
});
export type KeyRotation = z.infer<typeof KeyRotation>;

/**
 * A lead's signed answer to a request that lets the requester drop or change state (an ACK or
 * CONFLICT it may delete from its outbox, a key announcement). Bound to the request it answers
 * and to the requester, so a reply captured for one request confirms no other.
 */
export const Reply = z.object({
  ...header,
  kind: z.literal('REPLY'),
  /** message_id of the request answered. */
  in_reply_to: MessageId,
  /** The requester (the signer of the request). */
  to: Id,
  ok: z.boolean(),
  /** Refusal code when not ok; the permanent ones are listed in protocol/refusals.ts. */
  code: z.string().max(64).optional(),
  message: ShortText.optional(),
  /** With a temporary refusal (RATE_LIMITED): when asking again may succeed. */
  retry_after_ms: z.number().int().min(0).max(86_400_000).optional(),
  /**
   * A child lead's confirmation of a cascade COORDINATE: how its own scatter was admitted and
   * T converted to its clock. Absent from every other reply.
   */
  cascade: z.object({ admission: z.string().max(32), target_time_local: EpochMs.optional() }).optional(),
});
export type Reply = z.infer<typeof Reply>;

/**
 * One sensor reading or input event, sent by an agent through its outbox (so it survives an
 * outage and a restart) and confirmed by the lead. `seq` counts per sensor and survives
 * restarts, so the lead can order readings and see gaps; `sampled_at` is mesh time.
 */
export const SensorEvent = z.object({
  ...header,
  kind: z.literal('SENSOR_EVENT'),
  agent_id: Id,
  sensor_id: SensorId,
  sensor_kind: SensorKind,
  value: SensorValue,
  unit: z.string().max(16).optional(),
  sampled_at: EpochMs,
  seq: z.number().int().min(0),
  /**
   * The agent's boot (its heartbeat's boot_id) when the reading was taken: with seq it is the
   * reading's identity, so an agent whose state was wiped (seq from 0 again) is not taken for a
   * redelivery. Optional for agents that predate it.
   */
  boot_id: Id.optional(),
  /** Why value is null (CRC failure, sensor gone, command failed). */
  error: ShortText.optional(),
  /** Set by the outbox relay when delivered from the outbox. */
  late: z.boolean().optional(),
  outbox_seq: z.number().int().min(0).optional(),
});
export type SensorEvent = z.infer<typeof SensorEvent>;

/** An X25519 public key (32 bytes) or a handshake nonce (16 bytes), base64url without padding. */
const X25519Public = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes of base64url (43 characters)');
const Nonce = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be 16 bytes of base64url (22 characters)');

/**
 * Agent -> lead, on the session subject, signed with the agent's enrolled Ed25519 key: opens a
 * heartbeat session (docs/adr/0004). The ephemeral X25519 key is good for this handshake only.
 */
export const SessionHello = z.object({
  ...header,
  kind: z.literal('SESSION_HELLO'),
  agent_id: Id,
  /** The agent's boot (its heartbeats' boot_id): a new boot opens a new session. */
  boot_id: Id,
  eph_x25519_pub: X25519Public,
  nonce: Nonce,
});
export type SessionHello = z.infer<typeof SessionHello>;

/**
 * Lead -> agent, the signed answer to a SESSION_HELLO. `transcript_hash` is SHA-256 of the
 * HELLO's exact bytes, so an ACCEPT answers one HELLO only; `expires_in_ms` is relative
 * because an agent at boot cannot yet convert mesh time to its own clock.
 */
export const SessionAccept = z.object({
  ...header,
  kind: z.literal('SESSION_ACCEPT'),
  agent_id: Id,
  session_id: Id,
  eph_x25519_pub: X25519Public,
  nonce: Nonce,
  transcript_hash: Sha256Hex,
  expires_in_ms: DurationMs,
});
export type SessionAccept = z.infer<typeof SessionAccept>;

/** Every message kind and its schema: the one table the wire codec dispatches on. */
export const MESSAGE_SCHEMAS = {
  HEARTBEAT: Heartbeat,
  HEARTBEAT_REPLY: HeartbeatReply,
  PING: Ping,
  PONG: Pong,
  COORDINATE: Coordinate,
  ACK: Ack,
  CIRCUIT: Circuit,
  FREEZE: Freeze,
  THAW: Thaw,
  SUMMARY: Summary,
  CONFLICT: ConflictReport,
  ENROLL_REQUEST: EnrollRequest,
  ENROLLMENT: Enrollment,
  KEY_ROTATION: KeyRotation,
  REPLY: Reply,
  SENSOR_EVENT: SensorEvent,
  SESSION_HELLO: SessionHello,
  SESSION_ACCEPT: SessionAccept,
} as const;

export type MessageKind = keyof typeof MESSAGE_SCHEMAS;
export type MessageOf<K extends MessageKind> = z.infer<(typeof MESSAGE_SCHEMAS)[K]>;
export type MeshMessage = { [K in MessageKind]: MessageOf<K> }[MessageKind];
export const MESSAGE_KINDS = Object.keys(MESSAGE_SCHEMAS) as MessageKind[];

export function isMessageKind(value: unknown): value is MessageKind {
  return typeof value === 'string' && Object.hasOwn(MESSAGE_SCHEMAS, value);
}
