import { assessHardware, decodeThrottled, type AgentClass, type AnomalyFlags, type HardwareCondition, type HardwareThresholds, type HealthState, type OperationalState, type Role, type SensorSummary, type ThrottleFlags } from '@mesh30k/shared';
import { FLAG, type AgentRecord, type ProbeState } from './agent-record.js';

/** The agent's clock against the lead, as it last reported it (offset = lead - agent). */
export interface ClockView {
  offsetMs: number;
  delayMs: number;
  driftPpm: number;
  confidence: number;
  errorBoundMs: number;
  samples: number;
  /** Spread of its round trips, when the agent reports one. */
  rttSpreadMs: number | null;
  /** Agent clock at the heartbeat that carried this report (drift extrapolates from here). */
  reportedAtLocal: number;
}

/** The agent's own health block as of its last heartbeat; null where the host reports nothing. */
export interface SystemView {
  temperatureC: number | null;
  cpuLoadPct: number | null;
  memoryUsedPct: number | null;
  diskUsedPct: number | null;
  uptimeS: number | null;
  ntpSynchronized: boolean | null;
  throttle: ThrottleFlags | null;
  /** Under-voltage, throttling or heat now (shared's assessHardware). */
  conditions: readonly HardwareCondition[];
  /** One of the conditions makes the lead count the agent as degraded. */
  degraded: boolean;
}

/** A read-only copy of one agent as the lead sees it, for the API and the engines. */
export interface AgentView {
  agentId: string;
  role: Role;
  agentClass: AgentClass;
  clusterId: string;
  sectorId: string;
  capabilities: readonly string[];
  state: OperationalState;
  stateSince: number;
  /** Active or degraded: routing may send to it (panic mode aside). */
  routable: boolean;
  lastHeartbeatAt: number | null;
  firstSeenAt: number;
  missedBeats: number;
  seq: number;
  heartbeats: number;
  /** Observed mean interval between heartbeats, once there are a few. */
  observedIntervalMs: number | null;
  impedance: {
    latencyMs: number;
    processingMs: number;
    queueDepth: number;
    impedanceScore: number;
    reliability: number;
    driftCoefficient: number;
    contextHash: string;
    /** The agent said it is not fully active. */
    reportedDegraded: boolean;
  };
  clock: ClockView | null;
  anomalies: AnomalyFlags;
  health: { state: HealthState; score: number; quarantineDeferred: boolean };
  system: SystemView;
  frozen: boolean;
  outboxDepth: number;
  probe: { state: ProbeState; lastRttMs: number | null };
  /** The sensor summary of the agent's last heartbeat (lead clock when it came); null without one. */
  sensors: { reportedAt: number; summary: readonly SensorSummary[] } | null;
}

const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

export function clockViewOf(record: AgentRecord): ClockView | null {
  if (record.clockSamples === 0 || !Number.isFinite(record.offsetMs)) return null;
  return {
    offsetMs: record.offsetMs,
    delayMs: record.delayMs,
    driftPpm: record.driftPpm,
    confidence: record.clockConfidence,
    errorBoundMs: record.errorBoundMs,
    samples: record.clockSamples,
    rttSpreadMs: finiteOrNull(record.rttSpreadMs),
    reportedAtLocal: record.clockT1,
  };
}

export function systemViewOf(record: AgentRecord, thresholds: HardwareThresholds): SystemView {
  const throttle = Number.isFinite(record.throttleRaw) ? decodeThrottled(record.throttleRaw) : null;
  const temperatureC = finiteOrNull(record.temperatureC);
  return {
    temperatureC,
    cpuLoadPct: finiteOrNull(record.cpuLoadPct),
    memoryUsedPct: finiteOrNull(record.memoryUsedPct),
    diskUsedPct: finiteOrNull(record.diskUsedPct),
    uptimeS: finiteOrNull(record.uptimeS),
    ntpSynchronized: Number.isFinite(record.ntpSynchronized) ? record.ntpSynchronized === 1 : null,
    throttle,
    conditions: assessHardware({ temperature_c: temperatureC, throttle }, thresholds).conditions,
    degraded: record.has(FLAG.hardwareDegraded),
  };
}

export function viewOf(record: AgentRecord, thresholds: HardwareThresholds): AgentView {
  const health = record.health;
  return {
    agentId: record.agentId,
    role: record.role,
    agentClass: record.agentClass,
    clusterId: record.clusterId,
    sectorId: record.sectorId,
    capabilities: record.capabilities,
    state: record.state,
    stateSince: record.stateSince,
    routable: isRoutable(record),
    lastHeartbeatAt: finiteOrNull(record.lastSeenAt),
    firstSeenAt: record.firstSeenAt,
    missedBeats: record.missedBeats,
    seq: record.seq,
    heartbeats: record.beats,
    observedIntervalMs: record.gapCount > 0 ? record.gapMeanMs : null,
    impedance: {
      latencyMs: record.latencyMs,
      processingMs: record.processingMs,
      queueDepth: record.queueDepth,
      impedanceScore: record.impedanceScore,
      reliability: record.reliability,
      driftCoefficient: record.driftCoefficient,
      contextHash: record.contextHash,
      reportedDegraded: record.has(FLAG.reportedDegraded),
    },
    clock: clockViewOf(record),
    anomalies: {
      degraded: record.has(FLAG.anomalyDegraded),
      unstable: record.has(FLAG.anomalyUnstable),
      spike: record.has(FLAG.anomalySpike),
    },
    health: {
      state: health === null ? (record.has(FLAG.retired) ? 'retired' : 'healthy') : health.state(),
      score: health === null ? 1 : health.score(),
      quarantineDeferred: record.has(FLAG.quarantineDeferred),
    },
    system: systemViewOf(record, thresholds),
    frozen: record.has(FLAG.frozen),
    outboxDepth: record.outboxDepth,
    probe: { state: record.probe, lastRttMs: finiteOrNull(record.probeRttMs) },
    sensors: record.sensors === null ? null : { reportedAt: record.lastSeenAt, summary: record.sensors },
  };
}

/**
 * Mesh time (the lead's clock) of an instant on the agent's clock, with the offset the agent
 * last reported extrapolated by its drift: the same line shared's OffsetEstimator draws on
 * the agent (rate = -drift_ppm x 1e-6). Undefined when the agent has no clock estimate yet.
 */
export function toMeshTime(clock: ClockView | null, localMs: number): number | undefined {
  if (clock === null) return undefined;
  const PPM = 1e-6;
  return localMs + clock.offsetMs - clock.driftPpm * PPM * (localMs - clock.reportedAtLocal);
}

/** Whether routing may use the agent: active or degraded (not offline, not quarantined). */
export function isRoutable(record: AgentRecord): boolean {
  return record.state === 'active' || record.state === 'degraded';
}
