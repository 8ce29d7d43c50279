import { HEALTH_DEFAULTS, HealthScore, ProcessingMedian, type HealthEvent, type HealthOutcome, type Verb } from '@mesh30k/shared';
import { LEAD_EVENTS } from '../lib/events.js';
import { FLAG, type AgentRecord } from './agent-record.js';
import type { RegistryCore } from './core.js';

/** What one ACK (or its absence) says about an agent. */
export interface AckOutcome {
  /** success, error, timeout, stall, cancelled, cache_hit or retry (shared's HealthOutcome). */
  result: HealthOutcome;
  /** Measured processing time (receipt to ready), when the ACK reports one. */
  processingMs?: number;
  verb?: Verb;
  payloadWeight?: number;
  /** Queue depth the work ran under; default: the depth the agent last reported. */
  queueDepth?: number;
  /** Why, for the health event's reason (defaults to the result). */
  reason?: string;
  /** The operation it came from, for the agent's recent outcomes. */
  operationId?: string;
}

/**
 * Health scores moved by ACK outcomes, through shared's HealthScore state machine, and the
 * lead's quarantine cap on top: when a cluster already has its share quarantined, a further
 * agent whose health says "quarantine" stays in service, flagged as deferred, and takes a free
 * slot later (as Envoy's max ejection percent does). A health object exists only while it
 * differs from a fresh one, which keeps a healthy fleet small in memory.
 */
export class HealthFlow {
  constructor(private readonly core: RegistryCore) {}

  recordOutcome(record: AgentRecord, outcome: AckOutcome): HealthEvent[] {
    if (outcome.processingMs !== undefined) {
      // The work this ACK reports has left the agent's queue. The depth its last heartbeat
      // reported counted it if that beat was sent while it was queued or running (a beat sent
      // before the ACK arrives first: each agent's link is one ordered stream), and that report
      // stands until the next beat, up to an interval later. Left as it was, the next
      // operation's processing was predicted for a queue that no longer exists (x 1.1 per
      // item): lead mode then sent those agents about 10% of their processing time early.
      record.queueDepth = Math.max(0, record.queueDepth - 1);
      const conditions = {
        ...(outcome.verb === undefined ? {} : { verb: outcome.verb }),
        payloadWeight: outcome.payloadWeight ?? 0,
        // Same default as the timing side: the queue the agent last reported.
        queueDepth: outcome.queueDepth ?? record.queueDepth,
      };
      record.learningEstimator().record(outcome.processingMs, conditions);
      record.processingMedian ??= new ProcessingMedian(record.agentClass);
      record.processingMedian.record(outcome.processingMs, conditions);
    }
    const health = record.health ?? this.freshHealth();
    const events = health.record(outcome.result, outcome.reason ?? outcome.result);
    record.health = this.isPristine(health) ? null : health;
    this.apply(record, events);
    this.core.changed(record);
    return events;
  }

  /** Operator quarantine (counts against the cap like any other). */
  quarantine(record: AgentRecord, reason: string): HealthEvent[] {
    const health = record.health ?? this.freshHealth();
    record.health = health;
    const events = health.quarantine(reason);
    this.apply(record, events);
    return events;
  }

  /** Operator recover (out of quarantine, on probation) or retire (out of routing for good). */
  operatorAction(record: AgentRecord, action: 'recover' | 'retire', reason: string): HealthEvent[] {
    const health = record.health ?? this.freshHealth();
    record.health = health;
    const events = action === 'recover' ? health.recover(reason) : health.retire(reason);
    this.apply(record, events);
    this.core.changed(record);
    return events;
  }

  /** Timed transitions (auto-recovery, end of probation), for the sweep. */
  tick(record: AgentRecord): void {
    const health = record.health;
    if (health === null) return;
    const events = health.tick();
    if (events.length > 0) this.apply(record, events);
    if (this.isPristine(health)) record.health = null;
  }

  /** Gives free quarantine slots to deferred agents whose health still says quarantine, worst first. */
  promoteDeferred(): void {
    if (this.core.deferred.size === 0) return;
    const waiting = [...this.core.deferred].sort((a, b) => (a.health?.score() ?? 1) - (b.health?.score() ?? 1));
    for (const record of waiting) {
      if (record.health?.state() !== 'quarantined') {
        this.clearDeferred(record);
        continue;
      }
      if (this.hasSlot(record)) this.admit(record, 'quarantine slot freed');
    }
  }

  freshHealth(): HealthScore {
    return new HealthScore(this.core.deps.clock, this.core.healthOptions);
  }

  apply(record: AgentRecord, events: readonly HealthEvent[]): void {
    for (const event of events) {
      switch (event.kind) {
        case 'quarantined':
          if (this.hasSlot(record)) this.admit(record, event.reason);
          else this.defer(record, event.reason);
          break;
        case 'retired':
          this.clearDeferred(record);
          this.core.markRetired(record);
          if (!this.core.setState(record, LEAD_EVENTS.agentRetired, event.reason)) {
            this.core.agentEvent(record, LEAD_EVENTS.agentRetired, event.reason);
          }
          break;
        case 'released':
          this.clearDeferred(record);
          record.set(FLAG.quarantined, false);
          if (!this.core.setState(record, LEAD_EVENTS.agentReleased, event.reason)) {
            this.core.agentEvent(record, LEAD_EVENTS.agentReleased, event.reason);
          }
          this.promoteDeferred();
          break;
        case 'recovered':
          this.core.agentEvent(record, LEAD_EVENTS.agentRecovered, event.reason);
          break;
        case 'extended':
          break;
      }
    }
  }

  /** Indistinguishable from a fresh HealthScore, so it can be dropped. */
  private isPristine(health: HealthScore): boolean {
    const snapshot = health.snapshot();
    const initial = this.core.options.health.initialScore ?? HEALTH_DEFAULTS.initialScore;
    return snapshot.state === 'healthy' && snapshot.score >= initial && snapshot.consecutiveRetries === 0 && snapshot.quarantinesInWindow === 0;
  }

  private hasSlot(record: AgentRecord): boolean {
    const tally = this.core.clusterTally(record.clusterId);
    return tally.quarantined < this.core.quarantineCap(record.clusterId);
  }

  private admit(record: AgentRecord, reason: string): void {
    this.clearDeferred(record);
    record.set(FLAG.quarantined, true);
    // An offline agent stays offline; it is quarantined when it comes back.
    if (!this.core.setState(record, LEAD_EVENTS.agentQuarantined, reason)) this.core.agentEvent(record, LEAD_EVENTS.agentQuarantined, reason);
  }

  private defer(record: AgentRecord, reason: string): void {
    if (record.has(FLAG.quarantineDeferred)) return;
    record.set(FLAG.quarantineDeferred, true);
    this.core.deferred.add(record);
    const cap = this.core.quarantineCap(record.clusterId);
    this.core.agentEvent(record, LEAD_EVENTS.agentQuarantineDeferred, `${reason}; cluster ${record.clusterId} already has ${cap} quarantined (cap)`);
  }

  private clearDeferred(record: AgentRecord): void {
    record.set(FLAG.quarantineDeferred, false);
    this.core.deferred.delete(record);
  }
}

