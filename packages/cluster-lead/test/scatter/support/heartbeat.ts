// Test agents' heartbeats: the HEARTBEAT body an agent sends, and what the lead side keeps of it.
import { PROTOCOL_VERSION, newMessageId } from '@mesh30k/shared';
import type { AgentClass, ClockReport, Heartbeat } from '@mesh30k/shared';
import { sampleHealth, sampleImpedance } from '@mesh30k/shared/testing';

export interface HeartbeatFacts {
  readonly agentId: string;
  readonly agentClass: AgentClass;
  readonly clusterId: string;
  readonly sectorId: string;
  readonly capabilities: readonly string[];
  readonly processingMs: number;
}

const NO_CLOCK: ClockReport = { offset_ms: 0, delay_ms: 0, drift_ppm: 0, confidence: 0, error_bound_ms: 0, samples: 0 };

export function heartbeatBody(facts: HeartbeatFacts, seq: number, t1: number, meshNow: number, clock: ClockReport | null): Heartbeat {
  return {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(meshNow),
    sender_id: facts.agentId,
    created_at: meshNow,
    ttl_ms: 30_000,
    kind: 'HEARTBEAT',
    agent_id: facts.agentId,
    cluster_id: facts.clusterId,
    seq,
    t1,
    impedance: sampleImpedance(facts.agentId, {
      agent_class: facts.agentClass,
      cluster_id: facts.clusterId,
      sector_id: facts.sectorId,
      capabilities: [...facts.capabilities],
      current_latency_ms: (clock?.delay_ms ?? 0),
      current_processing_ms: facts.processingMs,
      current_queue_depth: 0,
      last_heartbeat: meshNow,
      operational_state: 'active',
    }),
    clock: clock ?? NO_CLOCK,
    health: sampleHealth(),
    frozen: false,
    outbox_depth: 0,
  };
}
