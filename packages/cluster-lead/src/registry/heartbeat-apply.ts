import { alphaFromHalfLife, anomalyBaselineIn, assessHardware, ewmaStep, type EnrollmentRecord, type HardwareAssessment, type Heartbeat } from '@mesh30k/shared';
import { advance } from '../ingest/heartbeat-sequence.js';
import { LEAD_EVENTS } from '../lib/events.js';
import { ANOMALY_OFFSET, DEGRADED_FLAGS, FLAG, GAP_EWMA_OFFSET, type AgentRecord, type AgentShape, type RecordIdentity } from './agent-record.js';
import type { RegistryCore } from './core.js';
import { INTERVAL_HALF_LIFE, MAX_INTERVAL_STRETCH } from './options.js';
import { durableFields, durableUnchanged } from './persisted-agent.js';

/** What the ingest knows besides the verified heartbeat. */
export interface HeartbeatContext {
  /** Lead clock when the heartbeat arrived (t2). */
  receivedAt: number;
  /** The signer's enrollment: class, role, cluster and capabilities come from here, not the body. */
  enrollment: EnrollmentRecord;
}

export interface HeartbeatOutcome {
  agentId: string;
  isNew: boolean;
  /** The spike flag rose with this heartbeat. */
  spiked: boolean;
  /** The agent's operational state changed. */
  stateChanged: boolean;
}

const GAP_ALPHA = alphaFromHalfLife(INTERVAL_HALF_LIFE);

/**
 * Folds one verified heartbeat into the registry. Enrollment is the authority on identity:
 * capabilities are the reported ones that the enrollment grants (an agent may report fewer,
 * never more), class and cluster are the enrolled ones.
 */
export function applyHeartbeat(core: RegistryCore, heartbeat: Heartbeat, context: HeartbeatContext, leadImpaired = false): HeartbeatOutcome {
  const record = core.records.get(heartbeat.agent_id);
  // One array reused by every beat; a beat applied from inside another (an event listener) gets its own.
  const nested = applying;
  const before = record === undefined ? undefined : durableFields(record, nested ? [] : durableBefore);
  applying = true;
  try {
    return applyTo(core, record, heartbeat, context, leadImpaired, before);
  } finally {
    applying = nested;
  }
}

function applyTo(core: RegistryCore, found: AgentRecord | undefined, heartbeat: Heartbeat, context: HeartbeatContext, leadImpaired: boolean, before: readonly unknown[] | undefined): HeartbeatOutcome {
  const { receivedAt, enrollment } = context;
  let record = found;
  const isNew = record === undefined;
  if (record === undefined) {
    record = core.newRecord(identityOf(heartbeat, enrollment), receivedAt);
  } else if (!sameIdentity(record.shape, heartbeat, enrollment)) {
    // Nearly every beat names the shape the agent has: only a change builds an identity.
    const identity = identityOf(heartbeat, enrollment);
    const classChanged = record.agentClass !== identity.agentClass;
    core.reidentify(record, identity);
    // The class prior is the estimator's starting point; a re-enrolled class starts afresh.
    if (classChanged) record.resetEstimator();
  }
  recordArrival(core, record, heartbeat, receivedAt);
  copyImpedance(core, record, heartbeat);
  copyClock(record, heartbeat);
  const hardware = copySystemHealth(core, record, heartbeat);
  record.sensors = heartbeat.sensors ?? null;
  // While the lead itself is the slow part (guard-rails.ts), every agent's latency and impedance
  // swing with it: not read as the agent's (no flag moves) and kept out of its baseline.
  const spiked = leadImpaired ? false : observeAnomalies(core, record, heartbeat);

  const wasOffline = record.has(FLAG.offline);
  record.set(FLAG.offline, false);
  record.set(FLAG.crashReported, false);
  record.probe = 'idle';
  if (isNew) core.agentEvent(record, LEAD_EVENTS.agentRegistered, `first heartbeat (seq ${heartbeat.seq})`, null);
  const name = wasOffline ? LEAD_EVENTS.agentOnline : record.has(FLAG.quarantined) ? LEAD_EVENTS.agentQuarantined : degradedOrActive(record);
  const because = hardware.degraded ? ` (${hardware.conditions.join(', ')})` : '';
  const stateChanged = core.setState(record, name, `${wasOffline ? 'heartbeat after silence' : 'heartbeat'}${because}`);
  // Most heartbeats move only last-seen numbers: those are stored lazily, real changes at once.
  if (before === undefined || !durableUnchanged(before, record)) core.changed(record);
  else core.seen(record);
  return { agentId: record.agentId, isNew, spiked, stateChanged };
}

/** Each enrollment's capabilities as a set, built once per enrollment record rather than per heartbeat. */
const grantedSets = new WeakMap<readonly string[], ReadonlySet<string>>();

function grantedOf(capabilities: readonly string[]): ReadonlySet<string> {
  let granted = grantedSets.get(capabilities);
  if (granted === undefined) {
    granted = new Set(capabilities);
    grantedSets.set(capabilities, granted);
  }
  return granted;
}

/** The durable fields before a beat is applied, in one array reused by every beat. */
const durableBefore: unknown[] = [];
let applying = false;

/** Whether the identity this beat and enrollment give is `shape` already (as identityOf would build it), without building it. */
function sameIdentity(shape: AgentShape, heartbeat: Heartbeat, enrollment: EnrollmentRecord): boolean {
  if (shape.role !== enrollment.role || shape.agentClass !== enrollment.class || shape.clusterId !== enrollment.cluster_id) return false;
  if (shape.sectorId !== (enrollment.sector_id ?? heartbeat.impedance.sector_id)) return false;
  const granted = grantedOf(enrollment.capabilities);
  const kept = shape.capabilities;
  let k = 0;
  for (const capability of heartbeat.impedance.capabilities) {
    if (!granted.has(capability)) continue;
    if (k >= kept.length || kept[k] !== capability) return false;
    k++;
  }
  return k === kept.length;
}

function identityOf(heartbeat: Heartbeat, enrollment: EnrollmentRecord): RecordIdentity {
  const granted = grantedOf(enrollment.capabilities);
  return {
    agentId: heartbeat.agent_id,
    role: enrollment.role,
    agentClass: enrollment.class,
    clusterId: enrollment.cluster_id,
    sectorId: enrollment.sector_id ?? heartbeat.impedance.sector_id,
    capabilities: heartbeat.impedance.capabilities.filter((capability) => granted.has(capability)),
  };
}

function recordArrival(core: RegistryCore, record: AgentRecord, heartbeat: Heartbeat, receivedAt: number): void {
  const gap = receivedAt - record.lastSeenAt;
  // Gaps that span an outage would teach the lead a wrong interval; only ordinary ones count.
  if (gap > 0 && gap <= MAX_INTERVAL_STRETCH * core.options.heartbeatIntervalMs) ewmaStep(record.n, GAP_EWMA_OFFSET, GAP_ALPHA, gap);
  record.lastSeenAt = receivedAt;
  record.deadlineBase = receivedAt;
  record.missedBeats = 0;
  const sequence = advance({ seq: record.seq, boots: record.boots }, heartbeat);
  record.seq = sequence.seq;
  record.boots = sequence.boots;
  record.beats += 1;
  record.outboxDepth = heartbeat.outbox_depth;
  record.set(FLAG.frozen, heartbeat.frozen);
}

function copyImpedance(core: RegistryCore, record: AgentRecord, heartbeat: Heartbeat): void {
  const impedance = heartbeat.impedance;
  record.latencyMs = impedance.current_latency_ms;
  record.processingMs = impedance.current_processing_ms;
  record.queueDepth = impedance.current_queue_depth;
  record.impedanceScore = impedance.impedance_score;
  record.reliability = impedance.reliability_score;
  record.driftCoefficient = impedance.drift_coefficient;
  record.contextHash = core.interner.string(impedance.current_context_hash);
  record.set(FLAG.reportedDegraded, impedance.operational_state !== 'active');
}

function copyClock(record: AgentRecord, heartbeat: Heartbeat): void {
  const clock = heartbeat.clock;
  record.clockSamples = clock.samples;
  if (clock.samples === 0) {
    // No exchange yet (first beat after boot): an earlier offset belonged to another boot.
    record.offsetMs = Number.NaN;
    record.clockT1 = Number.NaN;
    return;
  }
  record.offsetMs = clock.offset_ms;
  record.delayMs = clock.delay_ms;
  record.driftPpm = clock.drift_ppm;
  record.clockConfidence = clock.confidence;
  record.errorBoundMs = clock.error_bound_ms;
  record.rttSpreadMs = clock.jitter_ms ?? Number.NaN;
  record.clockT1 = heartbeat.t1;
}

const orNaN = (value: number | null): number => value ?? Number.NaN;

/** Keeps the Pi's health block (as numbers) and lets under-voltage, throttling and heat degrade it. */
function copySystemHealth(core: RegistryCore, record: AgentRecord, heartbeat: Heartbeat): HardwareAssessment {
  const health = heartbeat.health;
  record.temperatureC = orNaN(health.temperature_c);
  record.cpuLoadPct = orNaN(health.cpu_load_pct);
  record.memoryUsedPct = orNaN(health.memory_used_pct);
  record.diskUsedPct = orNaN(health.disk_used_pct);
  record.uptimeS = orNaN(health.uptime_s);
  record.throttleRaw = health.throttle === null ? Number.NaN : health.throttle.raw;
  record.ntpSynchronized = health.ntp_synchronized === null ? Number.NaN : Number(health.ntp_synchronized);
  const assessment = assessHardware(health, core.hardware);
  record.set(FLAG.hardwareDegraded, assessment.degraded);
  return assessment;
}

/** Runs shared's detector against the agent's own history; reports a rising spike. */
function observeAnomalies(core: RegistryCore, record: AgentRecord, heartbeat: Heartbeat): boolean {
  const baseline = anomalyBaselineIn(record.n, ANOMALY_OFFSET);
  const flags = core.anomaly.observeIn(record.n, ANOMALY_OFFSET, heartbeat.impedance);
  const rose = flags.spike && !record.has(FLAG.anomalySpike);
  record.set(FLAG.anomalyDegraded, flags.degraded);
  record.set(FLAG.anomalyUnstable, flags.unstable);
  record.set(FLAG.anomalySpike, flags.spike);
  if (flags.spike) record.lastSpikeAt = core.now();
  if (rose && baseline !== undefined) {
    core.emit({
      name: LEAD_EVENTS.impedanceSpike,
      at: core.now(),
      agentId: record.agentId,
      clusterId: record.clusterId,
      score: heartbeat.impedance.impedance_score,
      baselineScore: baseline.scoreMean,
      latencyMs: heartbeat.impedance.current_latency_ms,
      baselineLatencyMs: baseline.latencyMs,
    });
  }
  return rose;
}

function degradedOrActive(record: AgentRecord): typeof LEAD_EVENTS.agentDegraded | typeof LEAD_EVENTS.agentActive {
  return (record.flags & DEGRADED_FLAGS) !== 0 ? LEAD_EVENTS.agentDegraded : LEAD_EVENTS.agentActive;
}
