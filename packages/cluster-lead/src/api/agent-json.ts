import type { AgentView } from '../registry/index.js';
import type { AgentJson } from './response-schemas.js';

/** An agent as the HTTP API shows it: snake_case, like the wire and the rest of the API. */
export function agentJson(view: AgentView): AgentJson {
  return {
    agent_id: view.agentId,
    role: view.role,
    agent_class: view.agentClass,
    cluster_id: view.clusterId,
    sector_id: view.sectorId,
    capabilities: view.capabilities,
    state: view.state,
    state_since: view.stateSince,
    routable: view.routable,
    last_heartbeat_at: view.lastHeartbeatAt,
    first_seen_at: view.firstSeenAt,
    missed_beats: view.missedBeats,
    seq: view.seq,
    heartbeats: view.heartbeats,
    observed_interval_ms: view.observedIntervalMs,
    impedance: {
      current_latency_ms: view.impedance.latencyMs,
      current_processing_ms: view.impedance.processingMs,
      current_queue_depth: view.impedance.queueDepth,
      impedance_score: view.impedance.impedanceScore,
      reliability_score: view.impedance.reliability,
      drift_coefficient: view.impedance.driftCoefficient,
      current_context_hash: view.impedance.contextHash,
      reported_degraded: view.impedance.reportedDegraded,
    },
    clock:
      view.clock === null
        ? null
        : {
            offset_ms: view.clock.offsetMs,
            delay_ms: view.clock.delayMs,
            drift_ppm: view.clock.driftPpm,
            confidence: view.clock.confidence,
            error_bound_ms: view.clock.errorBoundMs,
            samples: view.clock.samples,
            jitter_ms: view.clock.rttSpreadMs,
            reported_at_local: view.clock.reportedAtLocal,
          },
    anomalies: view.anomalies,
    health: { state: view.health.state, score: view.health.score, quarantine_deferred: view.health.quarantineDeferred },
    system_health: {
      temperature_c: view.system.temperatureC,
      cpu_load_pct: view.system.cpuLoadPct,
      memory_used_pct: view.system.memoryUsedPct,
      disk_used_pct: view.system.diskUsedPct,
      uptime_s: view.system.uptimeS,
      ntp_synchronized: view.system.ntpSynchronized,
      throttle: view.system.throttle,
      conditions: view.system.conditions,
      degraded: view.system.degraded,
    },
    frozen: view.frozen,
    outbox_depth: view.outboxDepth,
    probe: { state: view.probe.state, last_rtt_ms: view.probe.lastRttMs },
  };
}
