/**
 * A Worker cannot heartbeat, so each good probe is folded into the registry as the heartbeat
 * it would have sent: the same record, liveness, impedance and clock fields as any agent.
 * Built only from what the lead measured or verified (the PONG is signed by the Worker's
 * registered key); identity comes from the registration, as it comes from the enrollment for
 * a Pi. The registry's own entry point (Registry.recordHeartbeat) takes it unchanged.
 */
import { PROTOCOL_VERSION, impedanceScore, newMessageId, type ClockReport, type EnrollmentRecord, type Heartbeat, type Pong } from '@mesh30k/shared';
import type { EdgeAgent } from './edge-agent.js';

/** Workers belong to no sector; selection by this sector id picks the edge tier. */
export const EDGE_SECTOR_ID = 'edge';
/** Stands in for the root key id: a registration is vouched for by the operator's API call, not a signed record. */
const REGISTRATION_ISSUER = 'edge-registration';
const HEARTBEAT_TTL_MS = 30_000;

export interface ProbeFacts {
  readonly meshNow: number;
  readonly seq: number;
  readonly pong: Pong;
  /** Median round trip (network only) of recent probes. */
  readonly latencyMs: number;
  /** Coefficient of variation of those round trips. */
  readonly driftCoefficient: number;
  /** Share of recent probes that succeeded. */
  readonly reliability: number;
  /** The Worker's clock, as a heartbeat states it; null when the exchange gave no sample yet. */
  readonly clock: { clock: ClockReport; atLocalMs: number } | null;
}

const NO_CLOCK: ClockReport = { offset_ms: 0, delay_ms: 0, drift_ppm: 0, confidence: 0, error_bound_ms: 0, samples: 0 };

export function syntheticHeartbeat(agent: EdgeAgent, facts: ProbeFacts): Heartbeat {
  const { pong, meshNow } = facts;
  const processingMs = pong.stats.processing_p50_ms ?? 0;
  const queueDepth = pong.stats.queue_depth;
  return {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(meshNow),
    sender_id: agent.agent_id,
    created_at: meshNow,
    ttl_ms: HEARTBEAT_TTL_MS,
    kind: 'HEARTBEAT',
    agent_id: agent.agent_id,
    cluster_id: agent.cluster_id,
    seq: facts.seq,
    t1: facts.clock?.atLocalMs ?? pong.t3,
    impedance: {
      agent_id: agent.agent_id,
      agent_class: 'A',
      sector_id: EDGE_SECTOR_ID,
      cluster_id: agent.cluster_id,
      current_latency_ms: facts.latencyMs,
      current_processing_ms: processingMs,
      current_queue_depth: queueDepth,
      last_heartbeat: meshNow,
      impedance_score: impedanceScore({ latencyMs: facts.latencyMs, processingMs, queueDepth }),
      reliability_score: Math.min(1, Math.max(0, facts.reliability)),
      drift_coefficient: facts.driftCoefficient,
      operational_state: pong.frozen ? 'degraded' : 'active',
      current_context_hash: '',
      capabilities: pong.capabilities,
    },
    clock: facts.clock?.clock ?? NO_CLOCK,
    health: { cpu_load_pct: null, temperature_c: null, memory_used_pct: null, disk_used_pct: null, throttle: null, uptime_s: null, ntp_synchronized: null },
    frozen: pong.frozen,
    outbox_depth: 0,
  };
}

/** The registration in the shape the registry takes identity from (class, role, cluster, capabilities). */
export function registrationEnrollment(agent: EdgeAgent): EnrollmentRecord {
  return {
    v: PROTOCOL_VERSION,
    agent_id: agent.agent_id,
    public_key: agent.public_key,
    role: 'agent',
    class: 'A',
    capabilities: [...agent.capabilities],
    cluster_id: agent.cluster_id,
    sector_id: EDGE_SECTOR_ID,
    issued_at: agent.registeredAt,
    expires_at: 8.64e15,
    issuer_key_id: REGISTRATION_ISSUER,
  };
}
