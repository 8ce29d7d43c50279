import { ANOMALY_STATE_SLOTS, ProcessingEstimator, type AgentClass, type ProcessingMedian, type SensorSummary, type HealthScore, type OperationalState, type Role } from '@mesh30k/shared';

/**
 * One agent as the lead knows it. A lead holds 30,000 of these, so the numbers live in one
 * packed number[] (8 bytes each; a class field holding a double costs about 20) and strings
 * that repeat across agents (cluster, sector, capability lists, context hashes) are interned
 * by the registry. The health state machine is created only while it differs from a fresh
 * one (see Registry.recordOutcome), the processing estimator with the first measurement.
 * Internal to the registry: others see AgentView.
 */
const SLOT = {
  lastSeenAt: 0,
  deadlineBase: 1,
  seq: 2,
  beats: 3,
  gapCount: 4,
  gapMean: 5,
  gapVariance: 6,
  latencyMs: 7,
  processingMs: 8,
  queueDepth: 9,
  impedanceScore: 10,
  reliability: 11,
  driftCoefficient: 12,
  offsetMs: 13,
  delayMs: 14,
  driftPpm: 15,
  clockConfidence: 16,
  errorBoundMs: 17,
  clockSamples: 18,
  rttSpreadMs: 19,
  clockT1: 20,
  outboxDepth: 21,
  stateSince: 22,
  missedBeats: 23,
  probeStartedAt: 24,
  probeRttMs: 25,
  firstSeenAt: 26,
  lastSpikeAt: 27,
  // The Pi's health block (SystemHealth); NaN where the host reports nothing.
  temperatureC: 28,
  cpuLoadPct: 29,
  memoryUsedPct: 30,
  diskUsedPct: 31,
  uptimeS: 32,
  throttleRaw: 33,
  /** 1 synchronised, 0 not, NaN unknown. */
  ntpSynchronized: 34,
  /** The anomaly baseline (shared's AnomalyDetector.observeIn): ANOMALY_STATE_SLOTS numbers from here. */
  anomaly: 35,
} as const;
const SLOTS = SLOT.anomaly + ANOMALY_STATE_SLOTS;
/** Offset of the inter-arrival EWMA inside the slots, for shared's ewmaStep. */
export const GAP_EWMA_OFFSET = SLOT.gapCount;
/** Offset of the anomaly baseline inside the slots: the registry's one detector judges every agent's. */
export const ANOMALY_OFFSET = SLOT.anomaly;

const SYSTEM_SLOTS = [SLOT.temperatureC, SLOT.cpuLoadPct, SLOT.memoryUsedPct, SLOT.diskUsedPct, SLOT.uptimeS, SLOT.throttleRaw, SLOT.ntpSynchronized];

/** Bit flags; one small integer instead of a dozen boolean fields. */
export const FLAG = {
  offline: 1 << 0,
  crashReported: 1 << 1,
  quarantined: 1 << 2,
  quarantineDeferred: 1 << 3,
  frozen: 1 << 4,
  anomalyDegraded: 1 << 5,
  anomalyUnstable: 1 << 6,
  anomalySpike: 1 << 7,
  reportedDegraded: 1 << 8,
  probePending: 1 << 9,
  probeFailed: 1 << 10,
  retired: 1 << 11,
  /** The agent's own health block says under-voltage, throttling or heat (shared's assessHardware). */
  hardwareDegraded: 1 << 12,
} as const;
/** Flags that make an otherwise active agent degraded. */
export const DEGRADED_FLAGS = FLAG.anomalyDegraded | FLAG.anomalyUnstable | FLAG.anomalySpike | FLAG.reportedDegraded | FLAG.hardwareDegraded;
export type Flag = (typeof FLAG)[keyof typeof FLAG];

export type ProbeState = 'idle' | 'pending' | 'failed';

/** What readers of an agent's estimator may call: a shared class prior must never be written. */
export type EstimatorReader = Pick<ProcessingEstimator, 'agentClass' | 'estimate' | 'samples' | 'toJSON'>;

const CLASS_PRIORS = new Map<AgentClass, ProcessingEstimator>();

function classPrior(agentClass: AgentClass): EstimatorReader {
  let prior = CLASS_PRIORS.get(agentClass);
  if (prior === undefined) CLASS_PRIORS.set(agentClass, (prior = new ProcessingEstimator(agentClass)));
  return prior;
}

/** What many agents have in common: the registry interns one frozen object per distinct shape (Interner.shape). */
export interface AgentShape {
  readonly role: Role;
  readonly agentClass: AgentClass;
  readonly clusterId: string;
  readonly sectorId: string;
  readonly capabilities: readonly string[];
}

export interface RecordIdentity extends AgentShape {
  readonly agentId: string;
}

export class AgentRecord {
  readonly agentId: string;
  /** Shared with every agent of the same role, class, cluster, sector and capabilities: one field, not five. */
  shape: AgentShape;
  contextHash = '';
  /** Boot ids of accepted heartbeats, newest first (ingest/heartbeat-sequence.ts); empty until one carries one. */
  boots: readonly string[] = [];
  state: OperationalState = 'active';
  flags = 0;
  /** Null until the agent's first measured processing time: the class prior answers until then (see estimator). */
  private learned: ProcessingEstimator | null = null;
  /** Recent processing times for lead mode's median; created with the first sample, persisted with the record. */
  processingMedian: ProcessingMedian | null = null;
  health: HealthScore | null = null;
  /** Each sensor's last value as the agent's last heartbeat summarised it; null when it sent none. */
  sensors: readonly SensorSummary[] | null = null;
  /** The numeric state, see SLOT. NaN marks "not known yet". */
  readonly n: number[];

  constructor(agentId: string, shape: AgentShape, now: number) {
    this.agentId = agentId;
    this.shape = shape;
    this.n = new Array<number>(SLOTS).fill(0);
    for (const slot of [SLOT.lastSeenAt, SLOT.offsetMs, SLOT.rttSpreadMs, SLOT.clockT1, SLOT.probeRttMs, SLOT.lastSpikeAt, ...SYSTEM_SLOTS]) this.n[slot] = Number.NaN;
    this.n[SLOT.deadlineBase] = now;
    this.n[SLOT.stateSince] = now;
    this.n[SLOT.firstSeenAt] = now;
  }

  get role(): Role {
    return this.shape.role;
  }

  get agentClass(): AgentClass {
    return this.shape.agentClass;
  }

  get clusterId(): string {
    return this.shape.clusterId;
  }

  get sectorId(): string {
    return this.shape.sectorId;
  }

  get capabilities(): readonly string[] {
    return this.shape.capabilities;
  }

  /**
   * Expected processing for reading: the agent's own estimator once it has measurements, else
   * one shared, never-written estimator per class, which answers as a fresh one would. Most
   * agents of an idle fleet never run an operation; each saved its ~260-byte estimator.
   */
  get estimator(): EstimatorReader {
    return this.learned ?? classPrior(this.agentClass);
  }

  /** The agent's own estimator, created for its first measurement. */
  learningEstimator(): ProcessingEstimator {
    return (this.learned ??= new ProcessingEstimator(this.agentClass));
  }

  /** A re-enrolled class (or a restored record) starts from this estimator; null: from the class prior. */
  resetEstimator(estimator: ProcessingEstimator | null = null): void {
    this.learned = estimator;
  }

  has(flag: Flag): boolean {
    return (this.flags & flag) !== 0;
  }

  set(flag: Flag, on: boolean): void {
    this.flags = on ? this.flags | flag : this.flags & ~flag;
  }

  get probe(): ProbeState {
    return this.has(FLAG.probePending) ? 'pending' : this.has(FLAG.probeFailed) ? 'failed' : 'idle';
  }

  set probe(state: ProbeState) {
    this.set(FLAG.probePending, state === 'pending');
    this.set(FLAG.probeFailed, state === 'failed');
  }

  // Lead-side bookkeeping (lead clock).
  get lastSeenAt(): number { return this.n[SLOT.lastSeenAt]!; }
  set lastSeenAt(v: number) { this.n[SLOT.lastSeenAt] = v; }
  /** Silence is counted from here: the last heartbeat, a boot, or an answered probe. */
  get deadlineBase(): number { return this.n[SLOT.deadlineBase]!; }
  set deadlineBase(v: number) { this.n[SLOT.deadlineBase] = v; }
  get seq(): number { return this.n[SLOT.seq]!; }
  set seq(v: number) { this.n[SLOT.seq] = v; }
  get beats(): number { return this.n[SLOT.beats]!; }
  set beats(v: number) { this.n[SLOT.beats] = v; }
  get gapCount(): number { return this.n[SLOT.gapCount]!; }
  get gapMeanMs(): number { return this.n[SLOT.gapMean]!; }
  get stateSince(): number { return this.n[SLOT.stateSince]!; }
  set stateSince(v: number) { this.n[SLOT.stateSince] = v; }
  get missedBeats(): number { return this.n[SLOT.missedBeats]!; }
  set missedBeats(v: number) { this.n[SLOT.missedBeats] = v; }
  get probeStartedAt(): number { return this.n[SLOT.probeStartedAt]!; }
  set probeStartedAt(v: number) { this.n[SLOT.probeStartedAt] = v; }
  get probeRttMs(): number { return this.n[SLOT.probeRttMs]!; }
  set probeRttMs(v: number) { this.n[SLOT.probeRttMs] = v; }
  get firstSeenAt(): number { return this.n[SLOT.firstSeenAt]!; }
  set firstSeenAt(v: number) { this.n[SLOT.firstSeenAt] = v; }
  get lastSpikeAt(): number { return this.n[SLOT.lastSpikeAt]!; }
  set lastSpikeAt(v: number) { this.n[SLOT.lastSpikeAt] = v; }
  get outboxDepth(): number { return this.n[SLOT.outboxDepth]!; }
  set outboxDepth(v: number) { this.n[SLOT.outboxDepth] = v; }

  // What the agent reported about itself (AgentImpedance).
  get latencyMs(): number { return this.n[SLOT.latencyMs]!; }
  set latencyMs(v: number) { this.n[SLOT.latencyMs] = v; }
  get processingMs(): number { return this.n[SLOT.processingMs]!; }
  set processingMs(v: number) { this.n[SLOT.processingMs] = v; }
  get queueDepth(): number { return this.n[SLOT.queueDepth]!; }
  set queueDepth(v: number) { this.n[SLOT.queueDepth] = v; }
  get impedanceScore(): number { return this.n[SLOT.impedanceScore]!; }
  set impedanceScore(v: number) { this.n[SLOT.impedanceScore] = v; }
  get reliability(): number { return this.n[SLOT.reliability]!; }
  set reliability(v: number) { this.n[SLOT.reliability] = v; }
  get driftCoefficient(): number { return this.n[SLOT.driftCoefficient]!; }
  set driftCoefficient(v: number) { this.n[SLOT.driftCoefficient] = v; }

  // The agent's clock report (ClockReport); offset is lead minus agent.
  get offsetMs(): number { return this.n[SLOT.offsetMs]!; }
  set offsetMs(v: number) { this.n[SLOT.offsetMs] = v; }
  get delayMs(): number { return this.n[SLOT.delayMs]!; }
  set delayMs(v: number) { this.n[SLOT.delayMs] = v; }
  get driftPpm(): number { return this.n[SLOT.driftPpm]!; }
  set driftPpm(v: number) { this.n[SLOT.driftPpm] = v; }
  get clockConfidence(): number { return this.n[SLOT.clockConfidence]!; }
  set clockConfidence(v: number) { this.n[SLOT.clockConfidence] = v; }
  get errorBoundMs(): number { return this.n[SLOT.errorBoundMs]!; }
  set errorBoundMs(v: number) { this.n[SLOT.errorBoundMs] = v; }
  get clockSamples(): number { return this.n[SLOT.clockSamples]!; }
  set clockSamples(v: number) { this.n[SLOT.clockSamples] = v; }
  /** Reported spread of round trips (ClockReport.jitter_ms); NaN when the agent sends none. */
  get rttSpreadMs(): number { return this.n[SLOT.rttSpreadMs]!; }
  set rttSpreadMs(v: number) { this.n[SLOT.rttSpreadMs] = v; }
  /** Agent clock (t1) of the heartbeat that carried the clock report: drift extrapolates from here. */
  get clockT1(): number { return this.n[SLOT.clockT1]!; }
  set clockT1(v: number) { this.n[SLOT.clockT1] = v; }

  // The agent's health block (SystemHealth), as of its last heartbeat.
  get temperatureC(): number { return this.n[SLOT.temperatureC]!; }
  set temperatureC(v: number) { this.n[SLOT.temperatureC] = v; }
  get cpuLoadPct(): number { return this.n[SLOT.cpuLoadPct]!; }
  set cpuLoadPct(v: number) { this.n[SLOT.cpuLoadPct] = v; }
  get memoryUsedPct(): number { return this.n[SLOT.memoryUsedPct]!; }
  set memoryUsedPct(v: number) { this.n[SLOT.memoryUsedPct] = v; }
  get diskUsedPct(): number { return this.n[SLOT.diskUsedPct]!; }
  set diskUsedPct(v: number) { this.n[SLOT.diskUsedPct] = v; }
  get uptimeS(): number { return this.n[SLOT.uptimeS]!; }
  set uptimeS(v: number) { this.n[SLOT.uptimeS] = v; }
  /** The firmware's get_throttled word; the named flags are decoded from it on read. */
  get throttleRaw(): number { return this.n[SLOT.throttleRaw]!; }
  set throttleRaw(v: number) { this.n[SLOT.throttleRaw] = v; }
  get ntpSynchronized(): number { return this.n[SLOT.ntpSynchronized]!; }
  set ntpSynchronized(v: number) { this.n[SLOT.ntpSynchronized] = v; }
}

/** The lead's operational state of an agent, from its flags: offline beats quarantine beats degraded. */
export function deriveState(record: AgentRecord): OperationalState {
  if (record.has(FLAG.offline)) return 'offline';
  if (record.has(FLAG.quarantined) || record.has(FLAG.retired)) return 'quarantined';
  return (record.flags & DEGRADED_FLAGS) !== 0 ? 'degraded' : 'active';
}

