import {
  AgentClass,
  Capabilities,
  Id,
  OperationalState,
  ProcessingEstimator,
  ProcessingEstimatorSnapshot,
  ProcessingMedian,
  Verb,
  Role,
  anomalyBaselineIn,
  type AnomalyDetector,
  type Clock,
  type HealthOptionsInput,
  HealthScore,
} from '@mesh30k/shared';
import { z } from 'zod';
import { ANOMALY_OFFSET, AgentRecord, FLAG, GAP_EWMA_OFFSET, deriveState, type AgentShape } from './agent-record.js';

/**
 * An agent as the snapshot stores it: identity, what it reported, its clock estimate, the
 * lead's bookkeeping and the learned state (processing estimator, anomaly baseline, health).
 * JSON has no NaN, so "not known" numbers travel as null.
 */
export const PERSISTED_AGENT_VERSION = 1;
const num = z.number().nullable();

export const PersistedAgent = z.object({
  v: z.literal(PERSISTED_AGENT_VERSION),
  agent_id: Id,
  role: Role,
  agent_class: AgentClass,
  cluster_id: Id,
  sector_id: Id,
  capabilities: Capabilities,
  context_hash: z.string().max(64),
  state: OperationalState,
  flags: z.number().int().min(0),
  numbers: z.record(z.string(), num),
  /** The observed heartbeat interval: EWMA count, mean and variance. */
  gap: z.tuple([z.number().min(0), z.number(), z.number().min(0)]),
  estimator: ProcessingEstimatorSnapshot,
  /** Lead mode's recent processing times per verb ('any' for none), oldest first; absent before any. */
  median: z.partialRecord(z.union([Verb, z.literal('any')]), z.array(z.number().min(0)).max(256)).optional(),
  anomaly: z.object({ count: z.number().min(0), score_mean: z.number(), latency_ms: z.number() }).nullable(),
  health: z.object({ state: z.enum(['healthy', 'quarantined', 'probation', 'retired']), score: z.number().min(0).max(1) }).nullable(),
  /** Recent boot ids, newest first: a restarted lead still refuses a replayed heartbeat of an old boot. */
  boots: z.array(Id).max(16).optional(),
});
export type PersistedAgent = z.infer<typeof PersistedAgent>;

/** Numbers kept across a restart, by name (the record's slot layout may change between versions). */
const PERSISTED_NUMBERS = [
  'lastSeenAt',
  'seq',
  'beats',
  'firstSeenAt',
  'stateSince',
  'latencyMs',
  'processingMs',
  'queueDepth',
  'impedanceScore',
  'reliability',
  'driftCoefficient',
  'offsetMs',
  'delayMs',
  'driftPpm',
  'clockConfidence',
  'errorBoundMs',
  'clockSamples',
  'rttSpreadMs',
  'clockT1',
  'outboxDepth',
  'probeRttMs',
  'lastSpikeAt',
  'temperatureC',
  'cpuLoadPct',
  'memoryUsedPct',
  'diskUsedPct',
  'uptimeS',
  'throttleRaw',
  'ntpSynchronized',
] as const satisfies readonly (keyof AgentRecord)[];

/** Flags that survive a restart; probe state does not (no probe is in flight after one). */
const PROBE_FLAGS = FLAG.probePending | FLAG.probeFailed;
/**
 * What a heartbeat can change in an agent's persisted form besides the numbers every heartbeat
 * moves (last seen, sequence, latency, clock estimate, learned baselines): when none of these
 * changed, the agent is only "seen" and the snapshot writer stores it lazily. Identity strings
 * and lists are interned, and an unchanged boot list is the same array, so === compares them.
 */
export function durableFields(record: AgentRecord, into: unknown[] = []): readonly unknown[] {
  // Whether the agent has a clock estimate decides the release modes it is scheduled for (hold
  // needs one; timing.ts): a standby that follows the registry must learn it, or it takes over
  // agents it can send only lead-mode work to until each beats to it again.
  const hasClock = record.clockSamples > 0 && Number.isFinite(record.offsetMs);
  // Written into `into` (the heartbeat path passes one array it reuses: no array per beat).
  into.length = 10;
  into[0] = record.flags & ~PROBE_FLAGS;
  into[1] = record.state;
  into[2] = record.clusterId;
  into[3] = record.sectorId;
  into[4] = record.agentClass;
  into[5] = record.capabilities;
  into[6] = record.role;
  into[7] = record.contextHash;
  into[8] = record.boots;
  into[9] = hasClock;
  return into;
}

/** Whether `record`'s durable fields are still `before` (durableFields), without building them again. */
export function durableUnchanged(before: readonly unknown[], record: AgentRecord): boolean {
  return (
    before[0] === (record.flags & ~PROBE_FLAGS) &&
    before[1] === record.state &&
    before[2] === record.clusterId &&
    before[3] === record.sectorId &&
    before[4] === record.agentClass &&
    before[5] === record.capabilities &&
    before[6] === record.role &&
    before[7] === record.contextHash &&
    before[8] === record.boots &&
    before[9] === (record.clockSamples > 0 && Number.isFinite(record.offsetMs))
  );
}

/** Baseline readings replayed into a fresh anomaly detector: enough to pass its warm-up. */
const ANOMALY_REPLAY_MAX = 24;

export function toPersisted(record: AgentRecord): PersistedAgent {
  const numbers: Record<string, number | null> = {};
  for (const name of PERSISTED_NUMBERS) numbers[name] = Number.isFinite(record[name]) ? record[name] : null;
  const baseline = anomalyBaselineIn(record.n, ANOMALY_OFFSET);
  const health = record.health?.snapshot();
  return {
    v: PERSISTED_AGENT_VERSION,
    agent_id: record.agentId,
    role: record.role,
    agent_class: record.agentClass,
    cluster_id: record.clusterId,
    sector_id: record.sectorId,
    capabilities: [...record.capabilities],
    context_hash: record.contextHash,
    state: record.state,
    flags: record.flags & ~PROBE_FLAGS,
    numbers,
    gap: [record.n[GAP_EWMA_OFFSET] ?? 0, record.n[GAP_EWMA_OFFSET + 1] ?? 0, record.n[GAP_EWMA_OFFSET + 2] ?? 0],
    estimator: record.estimator.toJSON(),
    ...(record.processingMedian === null ? {} : { median: record.processingMedian.toJSON().windows }),
    anomaly: baseline === undefined ? null : { count: baseline.count, score_mean: baseline.scoreMean, latency_ms: baseline.latencyMs },
    health: health === undefined ? null : { state: health.state, score: health.score },
    boots: [...record.boots],
  };
}

/** Stored numbers that are instants on the lead's clock (re-anchored when that clock stepped). */
const LEAD_CLOCK_INSTANTS = ['lastSeenAt', 'firstSeenAt', 'stateSince', 'lastSpikeAt'] as const satisfies readonly (typeof PERSISTED_NUMBERS)[number][];

export interface RestoreDeps {
  clock: Clock;
  /** How far the lead's clock moved since these were stored (0 when unknown). */
  clockStepMs?: number;
  healthOptions: HealthOptionsInput;
  /** The registry's detector, which replays the stored baseline into the record. */
  anomaly: AnomalyDetector;
  /** Interns identity strings and lists. */
  intern: (shape: AgentShape) => AgentShape;
}


/**
 * Rebuilds a record. Silence is counted from `now` (the restart), not from the last heartbeat
 * before it, so a restarted lead gives every agent a full deadline. shared's AnomalyDetector
 * and HealthScore have no restore of their own: the anomaly baseline is replayed, and the
 * health state is re-entered (a quarantine restarts its cooldown; a probation restarts).
 */
export function fromPersisted(stored: PersistedAgent, deps: RestoreDeps): AgentRecord {
  const now = deps.clock.now();
  const shape = deps.intern({
    role: stored.role,
    agentClass: stored.agent_class,
    clusterId: stored.cluster_id,
    sectorId: stored.sector_id,
    capabilities: stored.capabilities,
  });
  const record = new AgentRecord(stored.agent_id, shape, now);
  for (const name of PERSISTED_NUMBERS) record[name] = stored.numbers[name] ?? Number.NaN;
  // A lead-clock instant stays the same instant on a clock that was stepped: "seen 5 s before
  // the restart" must not become "seen in the future" (stepped back) or "an hour ago" (forward).
  for (const name of LEAD_CLOCK_INSTANTS) record[name] += deps.clockStepMs ?? 0;
  record.deadlineBase = now;
  stored.gap.forEach((value, i) => (record.n[GAP_EWMA_OFFSET + i] = value));
  record.contextHash = stored.context_hash;
  record.flags = stored.flags & ~PROBE_FLAGS;
  record.state = deriveState(record);
  const estimator = ProcessingEstimator.fromJSON(stored.estimator);
  // An estimator with no measurement of the record's own class is the class prior: not kept.
  record.resetEstimator(Object.keys(estimator.toJSON().stats).length === 0 && estimator.agentClass === record.agentClass ? null : estimator);
  if (stored.median !== undefined) record.processingMedian = ProcessingMedian.fromJSON(record.agentClass, { windows: stored.median });
  if (stored.anomaly !== null) {
    const reading = { impedance_score: stored.anomaly.score_mean, current_latency_ms: stored.anomaly.latency_ms, drift_coefficient: 0 };
    for (let i = 0; i < Math.min(stored.anomaly.count, ANOMALY_REPLAY_MAX); i++) deps.anomaly.observeIn(record.n, ANOMALY_OFFSET, reading);
  }
  record.health = restoreHealth(stored.health, deps);
  record.boots = stored.boots ?? [];
  return record;
}

function restoreHealth(stored: PersistedAgent['health'], deps: RestoreDeps): HealthScore | null {
  if (stored === null) return null;
  const health = new HealthScore(deps.clock, deps.healthOptions, stored.score);
  switch (stored.state) {
    case 'healthy':
      break;
    case 'quarantined':
      health.quarantine('restored after restart');
      break;
    case 'probation':
      health.quarantine('restored after restart');
      health.recover('restored after restart');
      break;
    case 'retired':
      health.retire('restored after restart');
      break;
  }
  return health;
}
