import { LEAD_EVENTS, type GuardReason } from '../lib/events.js';
import { describeError } from '../lib/errors.js';
import { FLAG, type AgentRecord } from './agent-record.js';
import type { RegistryCore } from './core.js';
import type { FleetState } from './fleet-state.js';
import type { GuardRails } from './guard-rails.js';
import type { HealthFlow } from './health-flow.js';
import { MAX_INTERVAL_STRETCH, MIN_INTERVAL_SAMPLES } from './options.js';
import type { Prober, ProbeResult } from './prober.js';

export interface SweeperDeps {
  core: RegistryCore;
  health: HealthFlow;
  fleet: FleetState;
  guard: GuardRails;
  prober: Prober;
  /** False while the lead cannot hear agents at all (NATS down): nobody is declared offline then. */
  transportUp: () => boolean;
}

export interface SweepReport {
  at: number;
  /** Deadline multiplier applied by the guard rails in this sweep. */
  factor: number;
  guardReasons: GuardReason[];
  probesStarted: number;
  probesAnswered: number;
  declaredOffline: number;
  crashed: number;
  /** True when offline declarations were suspended because the transport was down. */
  suspended: boolean;
}

/**
 * The one liveness timer's work: every agent's deadline checked in a single pass. An agent
 * `missed_for_offline` intervals overdue is probed once directly; only a failed probe makes
 * it offline. An offline agent silent for `crash_after_ms` is reported as crashed. The guard
 * rails stretch every deadline while the lead itself is the suspect.
 */
export class Sweeper {
  private inFlight = 0;
  private lastFactor = 1;

  constructor(private readonly deps: SweeperDeps) {}

  /** Resolves once the probes this sweep started have been answered or have failed. */
  async sweep(): Promise<SweepReport> {
    const { core, guard, health, fleet } = this.deps;
    const now = core.now();
    const reading = guard.read();
    this.reportGuard(reading.factor, reading.reasons, now);
    const suspended = !this.deps.transportUp();
    const report: SweepReport = {
      at: now,
      factor: reading.factor,
      guardReasons: reading.reasons,
      probesStarted: 0,
      probesAnswered: 0,
      declaredOffline: 0,
      crashed: 0,
      suspended,
    };
    const probes: Promise<void>[] = [];
    for (const record of core.records.values()) {
      health.tick(record);
      if (record.has(FLAG.retired)) continue;
      const silentMs = now - record.deadlineBase;
      if (record.has(FLAG.offline)) {
        if (this.checkCrash(record, silentMs, reading.factor)) report.crashed++;
        continue;
      }
      record.missedBeats = Math.max(0, Math.floor(silentMs / (this.intervalOf(record) * reading.factor)));
      if (record.missedBeats < core.options.missedForOffline || suspended) continue;
      switch (record.probe) {
        case 'idle':
          if (this.inFlight >= core.options.probeMaxInFlight) break;
          report.probesStarted++;
          probes.push(this.probe(record, report));
          break;
        case 'pending':
          break;
        case 'failed':
          this.declareOffline(record, `missed ${record.missedBeats} heartbeats`, report);
          break;
      }
    }
    // Probes settle (answered, or the agent declared offline) before the fleet is judged.
    await Promise.all(probes);
    health.promoteDeferred();
    fleet.update();
    return report;
  }

  /** The interval this agent is judged by: its own (once known) within [configured, 4 x configured]. */
  intervalOf(record: AgentRecord): number {
    const configured = this.deps.core.options.heartbeatIntervalMs;
    if (record.gapCount < MIN_INTERVAL_SAMPLES) return configured;
    return Math.min(MAX_INTERVAL_STRETCH * configured, Math.max(configured, record.gapMeanMs));
  }

  private async probe(record: AgentRecord, report: SweepReport): Promise<void> {
    const { core } = this.deps;
    record.probe = 'pending';
    record.probeStartedAt = core.now();
    this.inFlight++;
    let result: ProbeResult;
    try {
      result = await this.deps.prober.probe(record.agentId);
    } catch (error) {
      result = { ok: false, reason: describeError(error) };
    } finally {
      this.inFlight--;
    }
    // A heartbeat that arrived meanwhile settled the question.
    if (record.probe !== 'pending') return;
    if (result.ok) {
      const reason = `answered a probe after ${record.missedBeats} missed heartbeats (${result.rttMs.toFixed(1)} ms)`;
      record.probe = 'idle';
      record.deadlineBase = core.now();
      record.missedBeats = 0;
      record.probeRttMs = result.rttMs;
      report.probesAnswered++;
      core.agentEvent(record, LEAD_EVENTS.agentProbed, reason);
      core.changed(record);
      return;
    }
    if (!this.deps.transportUp()) {
      // The probe failed because the lead lost NATS, not because the agent is gone.
      record.probe = 'idle';
      return;
    }
    record.probe = 'failed';
    this.declareOffline(record, `missed ${record.missedBeats} heartbeats; probe failed: ${result.reason}`, report);
  }

  private declareOffline(record: AgentRecord, reason: string, report: SweepReport): void {
    record.probe = 'idle';
    record.set(FLAG.offline, true);
    if (this.deps.core.setState(record, LEAD_EVENTS.agentOffline, reason)) report.declaredOffline++;
  }

  private checkCrash(record: AgentRecord, silentMs: number, factor: number): boolean {
    const { core } = this.deps;
    if (record.has(FLAG.crashReported) || silentMs < core.options.crashAfterMs * factor) return false;
    record.set(FLAG.crashReported, true);
    core.agentEvent(record, LEAD_EVENTS.agentCrashed, `silent for ${Math.round(silentMs)} ms (AGENT_CRASH)`);
    core.changed(record);
    return true;
  }

  private reportGuard(factor: number, reasons: GuardReason[], now: number): void {
    if (factor === this.lastFactor) return;
    this.lastFactor = factor;
    this.deps.core.emit({ name: factor > 1 ? LEAD_EVENTS.guardWidened : LEAD_EVENTS.guardNormal, at: now, factor, reasons });
  }
}
