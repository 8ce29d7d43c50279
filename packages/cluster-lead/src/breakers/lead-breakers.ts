/**
 * The lead's circuit breakers: shared's BreakerSet (cluster, sector, global) fed by ACK outcomes,
 * consulted by the scatter engine before it sends, and recovered through probes: when a breaker
 * is due a probe, one agent of its scope is PINGed and the answer decides half-open or not.
 */
import { BreakerSet, breakerActionFor, type AgentLocation, type BreakerSetEvent, type BreakerStatus, type BreakerTarget, type Clock } from '@mesh30k/shared';
import type { Logger } from '../lib/logger.js';
import type { ProbeResult } from '../registry/index.js';
import type { AgentOutcome, Routability, TargetAgent } from '../scatter/ports.js';
import { BreakerHistory } from './breaker-history.js';

/** Sector id used for agents enrolled without one (a breaker needs a key). */
export const NO_SECTOR = '-';

export interface BreakerSettings {
  readonly metricsOnly: boolean;
  readonly clusterTripAbove: number;
  readonly sectorTripAbove: number;
  readonly failureWindowMs: number;
  readonly openDurationMs: number;
  readonly reprobeMs: number;
  readonly halfOpenObservationMs: number;
  readonly halfOpenMaxTrials: number;
}

export interface BreakerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where an agent sits; undefined for an agent the registry does not know. */
  readonly locate: (agentId: string) => AgentLocation | undefined;
  /** Agents to try for a probe of this scope, best first. */
  readonly probeCandidates: (target: BreakerTarget) => readonly string[];
  readonly probe: (agentId: string) => Promise<ProbeResult>;
  /** Told of every transition (the control channel turns them into CIRCUIT notices). */
  readonly onTransition?: (event: BreakerSetEvent) => void;
}

/** No ACK or a refusal is a failure; any answer (ready, transit, conflict) is a success. */
export function isBreakerFailure(outcome: AgentOutcome): boolean {
  return outcome === 'no_ack' || outcome === 'refused';
}

export class LeadBreakers {
  private readonly set: BreakerSet;
  private probing = false;
  /** The last transitions, for the dashboard's timeline (GET /v1/breakers/history). */
  readonly history = new BreakerHistory();

  constructor(
    private readonly deps: BreakerDeps,
    readonly settings: BreakerSettings,
  ) {
    const common = {
      failureWindowMs: settings.failureWindowMs,
      openDurationMs: settings.openDurationMs,
      reprobeBaseMs: settings.reprobeMs,
      reprobeMaxMs: Math.max(settings.reprobeMs, 600_000),
      halfOpenObservationMs: settings.halfOpenObservationMs,
      halfOpenMaxTrials: settings.halfOpenMaxTrials,
    };
    this.set = new BreakerSet(deps.clock, {
      metricsOnly: settings.metricsOnly,
      cluster: { ...common, tripAbove: settings.clusterTripAbove },
      sector: { ...common, tripAbove: settings.sectorTripAbove },
    });
  }

  /** Feeds one agent's outcome in an operation to its cluster and sector breakers. */
  observe(agentId: string, outcome: AgentOutcome): void {
    const at = this.deps.locate(agentId);
    if (at === undefined) return;
    this.report(isBreakerFailure(outcome) ? this.set.recordFailure(at, `${agentId}: ${outcome}`) : this.set.recordSuccess(at));
  }

  /** The scatter's routability check; uses up a half-open trial when it says yes there. */
  routable(agent: TargetAgent): Routability {
    const at = { clusterId: agent.clusterId, sectorId: agent.sectorId ?? NO_SECTOR };
    if (this.set.admit(at)) return { routable: true };
    const open = this.set
      .states()
      .filter((b) => b.state !== 'closed' && ((b.scope === 'global') || (b.scope === 'cluster' && b.targetId === at.clusterId) || (b.scope === 'sector' && b.targetId === at.sectorId)))
      .map((b) => `${b.scope} ${b.targetId} ${b.state}`);
    return { routable: false, reason: `breaker: ${open.length > 0 ? open.join(', ') : 'no half-open trials left'}` };
  }

  /**
   * Applies transitions that came due and probes every breaker whose probe time has come.
   * The lead calls it on a timer; tests call it after moving the clock.
   */
  async check(): Promise<BreakerSetEvent[]> {
    const events = this.set.tick();
    this.report(events);
    if (this.probing) return events;
    this.probing = true;
    try {
      for (const target of this.set.dueProbes()) events.push(...(await this.probeOne(target)));
    } finally {
      this.probing = false;
    }
    return events;
  }

  list(): BreakerStatus[] {
    return this.set.states();
  }

  /** Operator override (OPEN, CLOSE, HALF_OPEN) of one breaker. */
  apply(...args: Parameters<BreakerSet['apply']>): BreakerSetEvent[] {
    const events = this.set.apply(...args);
    this.report(events);
    return events;
  }

  private async probeOne(target: BreakerTarget): Promise<BreakerSetEvent[]> {
    const candidates = this.deps.probeCandidates(target);
    let result: ProbeResult = { ok: false, reason: `no agent known in ${target.scope} ${target.targetId}` };
    let agentId: string | null = null;
    // The first candidate decides; a second is tried only when the first is simply gone.
    for (const candidate of candidates.slice(0, 2)) {
      agentId = candidate;
      result = await this.deps.probe(candidate);
      if (result.ok) break;
    }
    this.deps.logger.info(
      { event: 'breaker.probed', scope: target.scope, target_id: target.targetId, agent_id: agentId, ok: result.ok, ...(result.ok ? { rtt_ms: result.rttMs } : { reason: result.reason }) },
      'breaker probe',
    );
    const events = this.set.recordProbe(target, result.ok, result.ok ? undefined : result.reason);
    this.report(events);
    return events;
  }

  private report(events: readonly BreakerSetEvent[]): void {
    for (const event of events) {
      const line = { event: event.name, scope: event.scope, target_id: event.targetId, from: event.from, to: event.to, reason: event.reason, shadow: event.shadow, action: breakerActionFor(event.to) };
      if (event.kind === 'opened' || event.kind === 'would-open') this.deps.logger.warn(line, 'breaker changed');
      else this.deps.logger.info(line, 'breaker changed');
      this.history.record(event);
      this.deps.onTransition?.(event);
    }
  }
}
