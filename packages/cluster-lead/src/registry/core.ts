import { AnomalyDetector, DEFAULT_ANOMALY_THRESHOLDS, resolveHardwareThresholds, resolveHealthOptions, type AnomalyThresholds, type HealthOptions, type Clock, type HardwareThresholds, type OperationalState } from '@mesh30k/shared';
import type { AgentEvent, EventBus, LeadEvent } from '../lib/events.js';
import { AgentRecord, FLAG, deriveState, type AgentShape, type RecordIdentity } from './agent-record.js';
import { AgentIndex } from './agent-index.js';
import { Interner } from './intern.js';
import type { RegistryOptions } from './options.js';

export type StateCounts = Record<OperationalState, number>;

interface ClusterTally {
  /** Agents of the cluster, retired ones excluded. */
  size: number;
  /** Agents quarantined by the lead (admitted under the cap), retired ones excluded. */
  quarantined: number;
}

export interface CoreDeps {
  clock: Clock;
  events: EventBus;
  /** Called whenever an agent's persisted state changed (the snapshot writer marks it dirty). */
  onChange: (agentId: string) => void;
  /** Called when a heartbeat moved only the numbers every heartbeat moves (written lazily). */
  onSeen: (agentId: string) => void;
}

/**
 * The registry's shared state: records, indexes, counts by state and per-cluster tallies.
 * Every state change goes through setState so that counts, tallies, the snapshot writer and
 * the event stream can never disagree. Internal to the registry folder.
 */
export class RegistryCore {
  readonly records = new Map<string, AgentRecord>();
  readonly index = new AgentIndex();
  readonly interner = new Interner();
  readonly counts: StateCounts = { active: 0, degraded: 0, offline: 0, quarantined: 0 };
  readonly clusters = new Map<string, ClusterTally>();
  /** Agents whose health says quarantine but whose cluster was at its cap. */
  readonly deferred = new Set<AgentRecord>();
  retired = 0;
  readonly hardware: HardwareThresholds;
  /** Resolved once: every agent's HealthScore shares them (a copy each cost 400 bytes an agent). */
  readonly healthOptions: HealthOptions;
  /** Judges every agent's heartbeats against the baseline kept in its record (ANOMALY_OFFSET). */
  readonly anomaly: AnomalyDetector;

  constructor(
    readonly deps: CoreDeps,
    readonly options: RegistryOptions,
  ) {
    // Without overrides the detector shares the frozen defaults.
    const differs = Object.entries(options.anomaly).some(
      ([key, value]) => value !== undefined && value !== DEFAULT_ANOMALY_THRESHOLDS[key as keyof AnomalyThresholds],
    );
    this.anomaly = new AnomalyDetector(differs ? options.anomaly : undefined);
    this.hardware = resolveHardwareThresholds(options.hardware);
    this.healthOptions = resolveHealthOptions(options.health);
  }

  now(): number {
    return this.deps.clock.now();
  }

  emit(event: LeadEvent): void {
    this.deps.events.emit(event);
  }

  changed(record: AgentRecord): void {
    this.deps.onChange(record.agentId);
  }

  seen(record: AgentRecord): void {
    this.deps.onSeen(record.agentId);
  }

  newRecord(identity: RecordIdentity, now: number): AgentRecord {
    const record = new AgentRecord(identity.agentId, this.intern(identity), now);
    this.add(record);
    return record;
  }

  /** Adds a record built elsewhere (a restored snapshot). */
  add(record: AgentRecord): void {
    this.records.set(record.agentId, record);
    this.index.add(record);
    this.counts[record.state]++;
    if (record.has(FLAG.retired)) this.retired++;
    this.tally(record, +1);
  }

  intern(identity: AgentShape): AgentShape {
    return this.interner.shape(identity);
  }

  /** Moves a record to another cluster, sector, class or capability list. */
  reidentify(record: AgentRecord, identity: RecordIdentity): void {
    const next = this.intern(identity);
    if (next === record.shape) return;
    this.index.remove(record);
    this.tally(record, -1);
    record.shape = next;
    this.index.add(record);
    this.tally(record, +1);
  }

  /** Sets flags that decide the state, derives the state and reports a change under `name`. */
  setState(record: AgentRecord, name: AgentEvent['name'], reason: string): boolean {
    const from = record.state;
    const to = deriveState(record);
    if (from === to) return false;
    const wasAdmitted = from === 'quarantined' && !record.has(FLAG.retired);
    this.counts[from]--;
    this.counts[to]++;
    record.state = to;
    record.stateSince = this.now();
    const tally = this.clusterTally(record.clusterId);
    const isAdmitted = to === 'quarantined' && !record.has(FLAG.retired);
    tally.quarantined += Number(isAdmitted) - Number(wasAdmitted);
    this.changed(record);
    this.agentEvent(record, name, reason, from);
    return true;
  }

  agentEvent(record: AgentRecord, name: AgentEvent['name'], reason: string, from: OperationalState | null = record.state): void {
    this.emit({ name, at: this.now(), agentId: record.agentId, clusterId: record.clusterId, from, to: record.state, reason });
  }

  markRetired(record: AgentRecord): void {
    if (record.has(FLAG.retired)) return;
    this.tally(record, -1);
    record.set(FLAG.retired, true);
    this.retired++;
    this.tally(record, +1);
  }

  /** At most this many agents of a cluster may be quarantined at once; one always may. */
  quarantineCap(clusterId: string): number {
    const size = this.clusterTally(clusterId).size;
    return Math.max(1, Math.floor(size * this.options.quarantineMaxShare));
  }

  clusterTally(clusterId: string): ClusterTally {
    let tally = this.clusters.get(clusterId);
    if (tally === undefined) this.clusters.set(clusterId, (tally = { size: 0, quarantined: 0 }));
    return tally;
  }

  /** Agents that routing may use: active or degraded (not offline, not quarantined). */
  routableCount(): number {
    return this.counts.active + this.counts.degraded;
  }

  /** Agents that count for the mode and panic: everyone but the retired. */
  fleetSize(): number {
    return this.records.size - this.retired;
  }

  private tally(record: AgentRecord, sign: 1 | -1): void {
    if (record.has(FLAG.retired)) return;
    const tally = this.clusterTally(record.clusterId);
    tally.size += sign;
    if (record.state === 'quarantined') tally.quarantined += sign;
  }
}
