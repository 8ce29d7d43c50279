import { assessHardware, decodeThrottled, type AgentTiming, type HardwareCondition, type Clock, type HealthEvent, type Heartbeat, type MeshMode, type Selector } from '@mesh30k/shared';
import type { EventBus } from '../lib/events.js';
import { FLAG } from './agent-record.js';
import { RegistryCore, type StateCounts } from './core.js';
import { FleetState } from './fleet-state.js';
import type { GuardRails } from './guard-rails.js';
import { HealthFlow, type AckOutcome } from './health-flow.js';
import { AgentHistory, DEFAULT_HISTORY_OUTCOMES, DEFAULT_HISTORY_SAMPLES, type HistorySample, type OutcomeSample } from './agent-history.js';
import { applyHeartbeat, type HeartbeatContext, type HeartbeatOutcome } from './heartbeat-apply.js';
import type { RegistryOptions } from './options.js';
import { fromPersisted, toPersisted, type PersistedAgent } from './persisted-agent.js';
import type { Prober } from './prober.js';
import { select, type AgentQuery, type Selection } from './query.js';

const ALL_STATES = ['active', 'degraded', 'offline', 'quarantined'] as const;
import { Sweeper, type SweepReport } from './sweeper.js';
import { processingOf, scheduleTargetOf, timingInputsOf, toAgentTiming, type AgentTimingInputs, type ProcessingWithMedian, type ScheduleTarget, type TimingConditions } from './timing.js';
import { clockViewOf, isRoutable, toMeshTime, viewOf, type AgentView, type ClockView } from './views.js';

export interface RegistryDeps {
  clock: Clock;
  events: EventBus;
  prober: Prober;
  guard: GuardRails;
  /** False while the lead cannot hear agents (NATS down): no offline declarations then. */
  transportUp: () => boolean;
  /** Called with the id of every agent whose persisted state changed. */
  onChange?: (agentId: string) => void;
  /** Called for a heartbeat that moved only last-seen numbers; default: onChange. */
  onSeen?: (agentId: string) => void;
}

export interface HardwareSummary {
  /** Live agents (not offline, not retired) whose heartbeat carries a temperature or throttle word. */
  reporting: number;
  /** Of those, how many the lead counts as degraded because of them. */
  degraded: number;
  conditions: Record<HardwareCondition, number>;
  maxTemperatureC: number | null;
}

export interface RegistryStatus {
  total: number;
  byState: StateCounts;
  retired: number;
  mode: MeshMode;
  panic: boolean;
  /** Share of the fleet that is routable (active or degraded). */
  healthyShare: number;
  quarantineDeferred: number;
}

/**
 * The lead's registry: one record per agent, fed by heartbeats and ACK outcomes, read by the
 * scatter-gather engine, the API and the snapshot writer. All times are lead-clock ms.
 *
 * Read side (for the engines):
 * - select(query): agents by ids / capability / class / cluster / sector / all, filtered by
 *   state (default: routable), with exclusions and unknown ids reported, panic-aware;
 * - timingInputs / timing / timings: per-agent inputs for shared's computeSendSchedule;
 * - clock / toMeshTime: an agent's offset, to turn its local instants into mesh time;
 * - get / view: one agent; status: counts, mode, panic.
 * Write side: recordHeartbeat (ingest), recordOutcome (ACK results), quarantine (operator),
 * sweep (the one liveness timer), restore / persisted (the snapshot store).
 */
export class Registry {
  private readonly core: RegistryCore;
  private readonly health: HealthFlow;
  private readonly fleet: FleetState;
  private readonly sweeper: Sweeper;
  private readonly guard: GuardRails;
  private readonly history: AgentHistory;

  constructor(deps: RegistryDeps, options: RegistryOptions, initialMode?: MeshMode) {
    this.guard = deps.guard;
    this.history = new AgentHistory({ samples: options.historySamples ?? DEFAULT_HISTORY_SAMPLES, outcomes: options.historyOutcomes ?? DEFAULT_HISTORY_OUTCOMES, intervalMs: options.heartbeatIntervalMs });
    const onChange = deps.onChange ?? (() => undefined);
    this.core = new RegistryCore({ clock: deps.clock, events: deps.events, onChange, onSeen: deps.onSeen ?? onChange }, options);
    this.health = new HealthFlow(this.core);
    this.fleet = new FleetState(this.core, initialMode);
    this.sweeper = new Sweeper({
      core: this.core,
      health: this.health,
      fleet: this.fleet,
      guard: deps.guard,
      prober: deps.prober,
      transportUp: deps.transportUp,
    });
  }

  get size(): number {
    return this.core.records.size;
  }

  get mode(): MeshMode {
    return this.fleet.mode;
  }

  /** The mode from health alone, and the operator's override if one is set. */
  get computedMode(): MeshMode {
    return this.fleet.computedMode;
  }

  get modeOverride(): MeshMode | null {
    return this.fleet.modeOverride;
  }

  setModeOverride(mode: MeshMode | null): void {
    this.fleet.setOverride(mode);
  }

  /** Below the panic threshold of routable agents, selection stops filtering on state. */
  get panic(): boolean {
    return this.fleet.panic;
  }

  has(agentId: string): boolean {
    return this.core.records.has(agentId);
  }

  /** The last accepted (boot, seq) of an agent, for the heartbeat replay check. */
  sequenceOf(agentId: string): { seq: number; boots: readonly string[] } | undefined {
    const record = this.core.records.get(agentId);
    return record === undefined || !Number.isFinite(record.seq) ? undefined : { seq: record.seq, boots: record.boots };
  }

  recordHeartbeat(heartbeat: Heartbeat, context: HeartbeatContext): HeartbeatOutcome {
    const outcome = applyHeartbeat(this.core, heartbeat, context, this.guard.impairedNow() !== null);
    const record = this.core.records.get(outcome.agentId);
    if (record !== undefined) this.history.record(outcome.agentId, context.receivedAt, record.impedanceScore, record.offsetMs, record.errorBoundMs);
    // Counts changed: the mode follows at once (it is a few comparisons), not a sweep later.
    if (outcome.isNew || outcome.stateChanged) this.fleet.update();
    return outcome;
  }

  /**
   * A heartbeat that verified (the agent signed it) but was refused only for its timestamp,
   * because the agent's estimate of mesh time is off: after the lead restarted with its clock
   * stepped, every agent is off by the step until its next few clock exchanges (the refusal's
   * t2/t3) re-synchronise it. Such a heartbeat proves the agent is there, so its deadline
   * restarts (nothing else of it is taken), when it was `provenFresh` on the clock before the
   * measured step (a replayed old frame is not), or, the step being unknown (a reboot), during
   * the restart guard only. Returns whether it counted.
   */
  heardDespiteClock(agentId: string, receivedAt: number, provenFresh = false): boolean {
    if (!provenFresh && !this.guard.restartGraceActive()) return false;
    const record = this.core.records.get(agentId);
    if (record === undefined || record.has(FLAG.retired)) return false;
    record.deadlineBase = Math.max(record.deadlineBase, receivedAt);
    record.missedBeats = 0;
    // As an accepted heartbeat does, it settles a probe in flight (the agent, still on the old
    // clock, would refuse the PING anyway).
    record.probe = 'idle';
    return true;
  }

  /**
   * A fresh, verified session HELLO from an agent on record: it is there, waiting for a session
   * before it beats again, so its silence restarts (nothing else of it is taken; its state moves
   * with its next heartbeat). An agent already declared offline stays so until it beats.
   */
  heardHandshake(agentId: string, receivedAt: number): boolean {
    const record = this.core.records.get(agentId);
    if (record === undefined || record.has(FLAG.retired) || record.has(FLAG.offline)) return false;
    record.deadlineBase = Math.max(record.deadlineBase, receivedAt);
    record.missedBeats = 0;
    // As a heartbeat does, it settles a probe (a failed one would otherwise declare it offline at once).
    record.probe = 'idle';
    return true;
  }

  /**
   * Heartbeats can reach this lead from now on (the intake is open): every agent's silence
   * counts from here, and the restart grace starts here, not at process start. Start-up (the
   * database check, NATS, verify threads) can take seconds on a busy host; agents could not be
   * heard during them, and a clock-stepped restart still needs a few exchanges after.
   */
  intakeOpened(): void {
    const now = this.core.now();
    this.guard.noteStart();
    for (const record of this.core.records.values()) record.deadlineBase = Math.max(record.deadlineBase, now);
  }

  /** Feeds one ACK outcome into the agent's health score and processing estimate. */
  recordOutcome(agentId: string, outcome: AckOutcome): HealthEvent[] | undefined {
    const record = this.core.records.get(agentId);
    if (record === undefined) return undefined;
    this.history.recordOutcome(agentId, this.core.now(), outcome.result, outcome.operationId, outcome.processingMs);
    return this.health.recordOutcome(record, outcome);
  }

  /** The agent's recent impedance and clock samples (oldest first) and outcomes (newest first); undefined for an unknown agent. */
  recentHistory(agentId: string): { samples: HistorySample[]; outcomes: OutcomeSample[]; capacity: number; spacingMs: number } | undefined {
    if (!this.core.records.has(agentId)) return undefined;
    const o = this.history.options;
    return { samples: this.history.samples(agentId), outcomes: this.history.outcomes(agentId), capacity: o.samples, spacingMs: o.intervalMs };
  }

  /** Bytes the history rings hold (for the memory figures). */
  get historyBytes(): number {
    return this.history.bytes;
  }

  /** Operator quarantine; subject to the cluster's quarantine cap like any other. */
  quarantine(agentId: string, reason = 'operator'): HealthEvent[] | undefined {
    const record = this.core.records.get(agentId);
    return record === undefined ? undefined : this.health.quarantine(record, reason);
  }

  /** Operator recover: out of quarantine onto probation. */
  recover(agentId: string, reason = 'operator'): HealthEvent[] | undefined {
    const record = this.core.records.get(agentId);
    return record === undefined ? undefined : this.health.operatorAction(record, 'recover', reason);
  }

  /** Operator retire: never routed again. */
  retire(agentId: string, reason = 'operator'): HealthEvent[] | undefined {
    const record = this.core.records.get(agentId);
    return record === undefined ? undefined : this.health.operatorAction(record, 'retire', reason);
  }

  /** Every agent id, retired ones included, in no particular order. */
  agentIds(): IterableIterator<string> {
    return this.core.records.keys();
  }

  select(query: AgentQuery): Selection {
    return select(this.core, query, this.fleet.panic);
  }

  /**
   * Every agent the selector matches, whatever its state (retired ones included, as
   * quarantined), with routing facts and timing inputs: the scheduler decides whom to skip.
   */
  scheduleTargets(selector: Selector): ScheduleTarget[] {
    const all = select(this.core, { selector, states: ALL_STATES, honourPanic: false }, false);
    const now = this.core.now();
    const ids = [...all.agentIds, ...all.excluded.map((excluded) => excluded.agentId)];
    return ids.map((id) => scheduleTargetOf(this.core.records.get(id)!, now));
  }

  /** Expected processing (shared ProcessingEstimator: per verb, class prior until learned) and the median lead mode aims at. */
  estimateProcessing(agentId: string, conditions: TimingConditions = {}): ProcessingWithMedian | undefined {
    const record = this.core.records.get(agentId);
    return record === undefined ? undefined : processingOf(record, conditions);
  }

  get(agentId: string): AgentView | undefined {
    const record = this.core.records.get(agentId);
    return record === undefined ? undefined : viewOf(record, this.core.hardware);
  }

  /**
   * Per agent of `agentIds`, what a status count needs (sector, routable, impedance score),
   * without a full view each: at 30,000 agents the views took about 100 ms of one event-loop
   * turn per /v1/status (issue 15).
   */
  forEachRoutingFact(agentIds: Iterable<string>, visit: (sectorId: string, routable: boolean, impedanceScore: number) => void): void {
    for (const id of agentIds) {
      const record = this.core.records.get(id);
      if (record !== undefined) visit(record.sectorId, isRoutable(record), record.impedanceScore);
    }
  }

  /** Views of several agents, skipping unknown ids. */
  views(agentIds: Iterable<string>): AgentView[] {
    const out: AgentView[] = [];
    for (const id of agentIds) {
      const record = this.core.records.get(id);
      if (record !== undefined) out.push(viewOf(record, this.core.hardware));
    }
    return out;
  }

  timingInputs(agentId: string, conditions: TimingConditions = {}): AgentTimingInputs | undefined {
    const record = this.core.records.get(agentId);
    return record === undefined ? undefined : timingInputsOf(record, conditions, this.core.now());
  }

  /** shared's AgentTiming for one agent (computeSendSchedule's input). */
  timing(agentId: string, conditions: TimingConditions = {}): AgentTiming | undefined {
    const inputs = this.timingInputs(agentId, conditions);
    return inputs === undefined ? undefined : toAgentTiming(inputs);
  }

  /** AgentTiming for many agents in one call, in the order given, unknown ids skipped. */
  timings(agentIds: Iterable<string>, conditions: TimingConditions = {}): AgentTiming[] {
    const now = this.core.now();
    const out: AgentTiming[] = [];
    for (const id of agentIds) {
      const record = this.core.records.get(id);
      if (record !== undefined) out.push(toAgentTiming(timingInputsOf(record, conditions, now)));
    }
    return out;
  }

  clock(agentId: string): ClockView | null | undefined {
    const record = this.core.records.get(agentId);
    return record === undefined ? undefined : clockViewOf(record);
  }

  /** Mesh time of an instant on the agent's own clock; undefined without a clock estimate. */
  toMeshTime(agentId: string, localMs: number): number | undefined {
    const record = this.core.records.get(agentId);
    return record === undefined ? undefined : toMeshTime(clockViewOf(record), localMs);
  }

  status(): RegistryStatus {
    return {
      total: this.core.records.size,
      byState: { ...this.core.counts },
      retired: this.core.retired,
      mode: this.fleet.mode,
      panic: this.fleet.panic,
      healthyShare: this.fleet.healthyShare(),
      quarantineDeferred: this.core.deferred.size,
    };
  }

  /**
   * The fleet's hardware at a glance, for /metrics: how many live agents report each condition
   * and the hottest temperature. One pass over the records at scrape time; per-agent values
   * stay in the API (30,000 label sets would swamp a scraper).
   */
  hardwareSummary(): HardwareSummary {
    const summary: HardwareSummary = { reporting: 0, degraded: 0, conditions: { under_voltage: 0, throttled: 0, hot: 0 }, maxTemperatureC: null };
    for (const record of this.core.records.values()) {
      if (record.has(FLAG.offline) || record.has(FLAG.retired)) continue;
      const temperature = record.temperatureC;
      const throttle = Number.isFinite(record.throttleRaw) ? decodeThrottled(record.throttleRaw) : null;
      if (!Number.isFinite(temperature) && throttle === null) continue;
      summary.reporting++;
      if (record.has(FLAG.hardwareDegraded)) summary.degraded++;
      for (const condition of assessHardware({ temperature_c: Number.isFinite(temperature) ? temperature : null, throttle }, this.core.hardware).conditions) summary.conditions[condition]++;
      if (Number.isFinite(temperature) && (summary.maxTemperatureC === null || temperature > summary.maxTemperatureC)) summary.maxTemperatureC = temperature;
    }
    return summary;
  }

  /** The liveness pass; the lead runs it on one timer, tests call it with an injected clock. */
  sweep(): Promise<SweepReport> {
    return this.sweeper.sweep();
  }

  /** The agent's persisted form, for the snapshot writer. */
  persisted(agentId: string): PersistedAgent | undefined {
    const record = this.core.records.get(agentId);
    return record === undefined ? undefined : toPersisted(record);
  }

  /**
   * Loads stored agents into an empty registry; returns how many were restored. `clockStepMs`
   * (how far the lead's clock moved between the run that stored them and this one, when known)
   * re-anchors their stored lead-clock times to this run's clock.
   */
  restore(stored: Iterable<PersistedAgent>, clockStepMs = 0): number {
    let restored = 0;
    for (const item of stored) {
      if (this.core.records.has(item.agent_id)) continue;
      const record = fromPersisted(item, {
        clockStepMs,
        clock: this.core.deps.clock,
        healthOptions: this.core.healthOptions,
        anomaly: this.core.anomaly,
        intern: (identity) => this.core.intern(identity),
      });
      this.core.add(record);
      if (record.has(FLAG.quarantineDeferred)) this.core.deferred.add(record);
      restored++;
    }
    this.fleet.update();
    return restored;
  }
}
