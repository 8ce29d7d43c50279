import type { ClockReport, MeshMode, ProcessingStats, SystemHealth } from '@mesh30k/shared';
import type { LastBeat } from '../heartbeat/heartbeat.js';
import type { DeadLetterStats, OutboxStats } from '../ports.js';
import type { SensorSummary } from '@mesh30k/shared';
import type { SensorsStatus } from '../sensors/sensor-hub.js';
import type { AgentCounters } from './counters.js';
import type { AgentStatus as StatusDocument } from '../status/index.js';

/** An agent's live state, as Agent.status() reports it. */
export interface AgentStatus {
  agentId: string;
  leadId: string;
  clusterId: string;
  connected: boolean;
  frozen: boolean;
  frozenReason: string;
  mode: MeshMode;
  heartbeatIntervalMs: number;
  lastHeartbeatLocal: number | undefined;
  lastBeat: LastBeat | undefined;
  queueCapacity: number;
  clock: ClockReport;
  queueDepth: number;
  held: number;
  outbox: OutboxStats;
  deadLetters: DeadLetterStats;
  processing: ProcessingStats;
  counters: AgentCounters;
  /** `readings`: queued since start, by sensor id. */
  sensors: (SensorsStatus & { last: SensorSummary[]; readings: Record<string, number> }) | null;
}

export interface StatusExtras {
  version: string;
  /** Wall-clock ms when the daemon started. */
  startedAt: number;
  health: SystemHealth;
  now?: number;
}

/** The agent's live state in the shape `GET /status` answers (status/status-schema.ts). */
export function statusDocument(status: AgentStatus, extras: StatusExtras): StatusDocument {
  const now = extras.now ?? Date.now();
  const synced = status.clock.samples > 0;
  return {
    agent_id: status.agentId,
    lead_id: status.leadId,
    cluster_id: status.clusterId,
    version: extras.version,
    connected: status.connected,
    frozen: status.frozen,
    uptime_s: Math.max(0, (now - extras.startedAt) / 1000),
    heartbeat: {
      last_at: status.lastBeat?.at ?? null,
      last_result: status.lastBeat?.result ?? null,
      interval_ms: Math.max(1, Math.round(status.heartbeatIntervalMs)),
    },
    clock: {
      offset_ms: synced ? status.clock.offset_ms : null,
      delay_ms: synced ? status.clock.delay_ms : null,
      confidence: synced ? status.clock.confidence : null,
    },
    outbox: {
      depth: status.outbox.depth,
      dropped: status.outbox.dropped,
      oldest_queued_at: status.outbox.oldestQueuedAt,
      dead_letters: status.deadLetters.count,
      dead_letters_total: status.deadLetters.total,
    },
    queue: { depth: status.queueDepth, max_depth: status.queueCapacity },
    health: extras.health,
    ...(status.sensors === null
      ? {}
      : {
          sensors: {
            backend: status.sensors.backend,
            devices: status.sensors.devices.map((d) => {
              const last = status.sensors?.last.find((s) => s.sensor_id === d.id);
              return { ...d, value: last?.value ?? null, sampled_at: last?.sampled_at ?? null };
            }),
          },
        }),
  };
}
