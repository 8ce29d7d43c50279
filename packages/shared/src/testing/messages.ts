import type { AgentImpedance } from '../impedance/agent-impedance.js';
import { PROTOCOL_VERSION } from '../protocol/enums.js';
import type { SystemHealth } from '../protocol/health.js';
import type { MeshMessage, MessageKind, MessageOf } from '../protocol/messages.js';

/**
 * Valid sample messages of every kind, for tests in any package. Each builder takes overrides
 * so a test states only what it is about.
 */

const BASE_TIME = 1_800_000_000_000;
const HASH = 'a'.repeat(64);
let counter = 0;

function header(senderId: string, createdAt: number) {
  counter += 1;
  return {
    v: PROTOCOL_VERSION,
    message_id: `test-${createdAt.toString(36)}-${counter.toString().padStart(6, '0')}`,
    sender_id: senderId,
    created_at: createdAt,
    ttl_ms: 30_000,
  } as const;
}

export function sampleImpedance(agentId = 'agent-1', overrides: Partial<AgentImpedance> = {}): AgentImpedance {
  return {
    agent_id: agentId,
    agent_class: 'E',
    sector_id: 'sector-1',
    cluster_id: 'cluster-1',
    current_latency_ms: 12.5,
    current_processing_ms: 140,
    current_queue_depth: 2,
    last_heartbeat: BASE_TIME,
    impedance_score: 230,
    reliability_score: 0.99,
    drift_coefficient: 0.12,
    operational_state: 'active',
    current_context_hash: HASH,
    capabilities: ['sensor.read', 'gpio'],
    ...overrides,
  };
}

export function sampleHealth(overrides: Partial<SystemHealth> = {}): SystemHealth {
  return {
    cpu_load_pct: 7.5,
    temperature_c: 48.2,
    memory_used_pct: 31,
    disk_used_pct: 12,
    throttle: null,
    uptime_s: 86_400,
    ntp_synchronized: true,
    ...overrides,
  };
}

const builders: { [K in MessageKind]: (sender: string, at: number) => MessageOf<K> } = {
  HEARTBEAT: (sender, at) => ({
    ...header(sender, at),
    kind: 'HEARTBEAT',
    agent_id: sender,
    cluster_id: 'cluster-1',
    seq: 42,
    boot_id: 'boot-1',
    t1: at,
    impedance: sampleImpedance(sender),
    clock: { offset_ms: -1520.25, delay_ms: 11.5, drift_ppm: 12.5, confidence: 0.9, error_bound_ms: 5.75, samples: 8 },
    health: sampleHealth(),
    frozen: false,
    outbox_depth: 0,
  }),
  HEARTBEAT_REPLY: (sender, at) => ({
    ...header(sender, at),
    kind: 'HEARTBEAT_REPLY',
    agent_id: 'agent-1',
    accepted: true,
    t1: at - 1520,
    t2: at - 3,
    t3: at,
    frozen: false,
    config_epoch: 1,
    mode: 'FULL',
  }),
  PING: (sender, at) => ({ ...header(sender, at), kind: 'PING', target_id: 'edge-1', t1: at }),
  PONG: (sender, at) => ({
    ...header(sender, at),
    kind: 'PONG',
    agent_id: sender,
    t1: at - 20,
    t2: at - 1,
    t3: at,
    agent_class: 'A',
    capabilities: ['route'],
    frozen: false,
    stats: { requests: 12, processing_p50_ms: 0.8, processing_p95_ms: 2.1, queue_depth: 0 },
  }),
  COORDINATE: (sender, at) => ({
    ...header(sender, at),
    kind: 'COORDINATE',
    operation_id: 'op-1',
    verb: 'observe',
    payload: { question: 'context hash?' },
    payload_hash: HASH,
    payload_weight: 1,
    target_time: at + 500,
    release_mode: 'hold',
    arrival_window_ms: 500,
    priority: 2,
    requires_capabilities: [],
    selector: { all: true },
    routing_strategy: 'scatter-gather',
    trinary_expectation: 1,
  }),
  ACK: (sender, at) => ({
    ...header(sender, at),
    kind: 'ACK',
    operation_id: 'op-1',
    coordinate_id: 'test-coordinate-000001',
    agent_id: sender,
    trinary_state: 1,
    release_mode: 'hold',
    received_at_local: at - 400,
    ready_at_local: at,
    ready_at_mesh: at + 1520,
    processing_ms: 140,
    late: false,
  }),
  CIRCUIT: (sender, at) => ({ ...header(sender, at), kind: 'CIRCUIT', action: 'OPEN', scope: 'cluster', target_id: 'cluster-1', reason: '6 failures in 60 s' }),
  FREEZE: (sender, at) => ({ ...header(sender, at), kind: 'FREEZE', scope: 'global', reason: 'operator freeze' }),
  THAW: (sender, at) => ({ ...header(sender, at), kind: 'THAW', scope: 'global', reason: 'operator thaw' }),
  SUMMARY: (sender, at) => ({
    ...header(sender, at),
    kind: 'SUMMARY',
    lead_id: sender,
    cluster_id: 'cluster-1',
    agent_count: 30,
    by_state: { active: 28, degraded: 1, offline: 1, quarantined: 0 },
    impedance: { mean: 220, p50: 210, p95: 400, max: 620 },
    max_lead_time_ms: 480,
    mode: 'FULL',
    frozen: false,
    capabilities: ['gpio'],
  }),
  CONFLICT: (sender, at) => ({
    ...header(sender, at),
    kind: 'CONFLICT',
    conflict_id: `conflict-${counter.toString().padStart(6, '0')}`,
    agent_id: sender,
    conflict_type: 'DATA_CONTRADICTION',
    priority: 2,
    detail: { type: 'DATA_CONTRADICTION', expected_value: '21.5', received_value: '19', context_hash: HASH, affects_agent_count: 3, detail: 'sensor disagrees' },
  }),
  ENROLL_REQUEST: (sender, at) => ({ ...header(sender, at), kind: 'ENROLL_REQUEST', request: sampleSignedRecord() }),
  ENROLLMENT: (sender, at) => ({ ...header(sender, at), kind: 'ENROLLMENT', enrollment: sampleSignedRecord() }),
  KEY_ROTATION: (sender, at) => ({ ...header(sender, at), kind: 'KEY_ROTATION', rotation: sampleSignedRecord() }),
  REPLY: (sender, at) => ({ ...header(sender, at), kind: 'REPLY', in_reply_to: 'm-000000000001', to: 'agent-1', ok: false, code: 'UNKNOWN_OPERATION', message: 'no such operation' }),
  SENSOR_EVENT: (sender, at) => ({
    ...header(sender, at),
    kind: 'SENSOR_EVENT',
    agent_id: sender,
    sensor_id: 'door',
    sensor_kind: 'gpio.input',
    value: true,
    sampled_at: at,
    seq: 0,
  }),
  SESSION_HELLO: (sender, at) => ({ ...header(sender, at), kind: 'SESSION_HELLO', agent_id: sender, boot_id: 'boot-1', eph_x25519_pub: 'A'.repeat(43), nonce: 'B'.repeat(22) }),
  SESSION_ACCEPT: (sender, at) => ({
    ...header(sender, at),
    kind: 'SESSION_ACCEPT',
    agent_id: 'agent-1',
    session_id: 's-1',
    eph_x25519_pub: 'C'.repeat(43),
    nonce: 'D'.repeat(22),
    transcript_hash: HASH,
    expires_in_ms: 3_600_000,
  }),
};

function sampleSignedRecord() {
  return { bytes: 'e30', signature: 'A'.repeat(86), signer_key_id: 'root-key' };
}

/** A valid message of `kind`, sent by `sender` at mesh time `at`, with `overrides` applied. */
export function sampleMessage<K extends MessageKind>(
  kind: K,
  options: { sender?: string; at?: number; overrides?: Partial<MessageOf<K>> } = {},
): MessageOf<K> {
  const built = builders[kind](options.sender ?? 'agent-1', options.at ?? BASE_TIME);
  return { ...built, ...options.overrides };
}

export const SAMPLE_TIME = BASE_TIME;
export type { MeshMessage };
