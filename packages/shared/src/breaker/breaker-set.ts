import type { Clock } from '../lib/clock.js';
import { MeshError } from '../lib/errors.js';
import type { BreakerAction, Scope } from '../protocol/enums.js';
import { CircuitBreaker, type BreakerSnapshot } from './circuit-breaker.js';
import { breakerEventName, shadowOf, type BreakerChange, type BreakerState, type BreakerTransition } from './events.js';
import { BREAKER_DEFAULTS, resolveBreakerOptions, type BreakerOptions } from './options.js';

/** Where an agent sits in the tree. Cluster ids are unique across the mesh. */
export interface AgentLocation {
  readonly clusterId: string;
  readonly sectorId: string;
}

export interface BreakerTarget {
  readonly scope: Exclude<Scope, 'global'>;
  readonly targetId: string;
}

export interface BreakerSetEvent extends BreakerTransition {
  readonly scope: Scope;
  readonly targetId: string;
}

export interface BreakerStatus extends BreakerSnapshot {
  readonly scope: Scope;
  readonly targetId: string;
}

/** Target id used for the single global breaker in events and listings. */
export const GLOBAL_TARGET_ID = 'global';

/** Spec 6.2 thresholds for the three scopes. */
export const BREAKER_SET_DEFAULTS = Object.freeze({
  /** A cluster trips above this many failures in the window. */
  clusterTripAbove: 5,
  /** A sector trips above this many failures (summed over its clusters) in the window. */
  sectorTripAbove: 50,
  /** The global breaker trips when more than this many sectors are open. */
  globalTripAboveSectors: 10,
  /** ...and closes again once this few or fewer are open (hysteresis; not in the spec). */
  globalRecoverAtOrBelowSectors: 5,
});

export interface BreakerSetOptions {
  /** Per-breaker settings for clusters; tripAbove defaults to clusterTripAbove. */
  readonly cluster?: Partial<BreakerOptions>;
  /** Per-breaker settings for sectors; tripAbove defaults to sectorTripAbove. */
  readonly sector?: Partial<BreakerOptions>;
  readonly globalTripAboveSectors?: number;
  readonly globalRecoverAtOrBelowSectors?: number;
  /** Shadow mode for every scope: events are `would-*` and everything stays routable. */
  readonly metricsOnly?: boolean;
}

/**
 * Cluster, sector and global breakers of the mesh (spec 6.2). Each mutating call returns the
 * transitions it caused (plus any that came due since the last call), tagged with scope and
 * target, for the lead to log and to turn into CIRCUIT messages.
 *
 * The global breaker has no probe of its own: it opens when a sector trip brings the number of
 * open sectors above the limit, and closes when sector probes bring it down to the recovery
 * level, or when an operator closes it.
 */
export class BreakerSet {
  private readonly clusters = new Map<string, CircuitBreaker>();
  private readonly sectors = new Map<string, CircuitBreaker>();
  private readonly clusterOpts: Partial<BreakerOptions>;
  private readonly sectorOpts: Partial<BreakerOptions>;
  private readonly globalTripAbove: number;
  private readonly globalRecoverAtOrBelow: number;
  private readonly metricsOnly: boolean;
  private globalState: 'closed' | 'open' = 'closed';
  private globalForced = false;

  constructor(
    private readonly clock: Clock,
    options: BreakerSetOptions = {},
  ) {
    this.metricsOnly = options.metricsOnly ?? BREAKER_DEFAULTS.metricsOnly;
    this.clusterOpts = { tripAbove: BREAKER_SET_DEFAULTS.clusterTripAbove, ...options.cluster, metricsOnly: this.metricsOnly };
    this.sectorOpts = { tripAbove: BREAKER_SET_DEFAULTS.sectorTripAbove, ...options.sector, metricsOnly: this.metricsOnly };
    this.globalTripAbove = options.globalTripAboveSectors ?? BREAKER_SET_DEFAULTS.globalTripAboveSectors;
    this.globalRecoverAtOrBelow = options.globalRecoverAtOrBelowSectors ?? BREAKER_SET_DEFAULTS.globalRecoverAtOrBelowSectors;
    if (!Number.isSafeInteger(this.globalTripAbove) || this.globalTripAbove < 0) {
      throw new MeshError('INVALID_ARGUMENT', 'globalTripAboveSectors must be a non-negative integer', {
        path: 'globalTripAboveSectors',
      });
    }
    if (!Number.isSafeInteger(this.globalRecoverAtOrBelow) || this.globalRecoverAtOrBelow > this.globalTripAbove) {
      throw new MeshError('INVALID_ARGUMENT', 'globalRecoverAtOrBelowSectors must be an integer <= globalTripAboveSectors', {
        path: 'globalRecoverAtOrBelowSectors',
      });
    }
    // Fail at construction, not at the first failure, if per-breaker options are bad.
    resolveBreakerOptions(this.clusterOpts);
    resolveBreakerOptions(this.sectorOpts);
  }

  recordFailure(at: AgentLocation, reason = 'failure'): BreakerSetEvent[] {
    const events = [
      ...tag('cluster', at.clusterId, this.cluster(at.clusterId).recordFailure(reason)),
      ...tag('sector', at.sectorId, this.sector(at.sectorId).recordFailure(reason)),
    ];
    return this.withGlobal(events);
  }

  recordSuccess(at: AgentLocation): BreakerSetEvent[] {
    const events = [
      ...tag('cluster', at.clusterId, this.cluster(at.clusterId).recordSuccess()),
      ...tag('sector', at.sectorId, this.sector(at.sectorId).recordSuccess()),
    ];
    return this.withGlobal(events);
  }

  /** Result of a probe the caller sent to a cluster or sector whose check came due. */
  recordProbe(target: BreakerTarget, success: boolean, reason?: string): BreakerSetEvent[] {
    const b = this.breaker(target);
    return this.withGlobal(tag(target.scope, target.targetId, b.recordProbe(success, reason)));
  }

  /** False if the global breaker, the agent's sector or its cluster is open (or half-open with no trials left). */
  isRoutable(at: AgentLocation): boolean {
    if (this.metricsOnly) return true;
    if (this.globalState === 'open') return false;
    return (this.sectors.get(at.sectorId)?.isRoutable() ?? true) && (this.clusters.get(at.clusterId)?.isRoutable() ?? true);
  }

  /** Like isRoutable, but uses up a half-open trial at each half-open level it passes. */
  admit(at: AgentLocation): boolean {
    if (!this.isRoutable(at)) return false;
    const sector = this.sectors.get(at.sectorId);
    const cluster = this.clusters.get(at.clusterId);
    const sectorOk = sector?.admit() ?? true;
    const clusterOk = cluster?.admit() ?? true;
    return this.metricsOnly || (sectorOk && clusterOk);
  }

  /** Operator override. The global breaker takes OPEN (held until CLOSE) and CLOSE only. */
  apply(scope: Scope, targetId: string, action: BreakerAction, reason = 'operator'): BreakerSetEvent[] {
    switch (scope) {
      case 'cluster':
      case 'sector':
        return this.withGlobal(tag(scope, targetId, this.breaker({ scope, targetId }).apply(action, reason)));
      case 'global':
        return this.applyGlobal(action, reason);
    }
  }

  /** Applies every transition that came due with time; call it at nextCheckAt(). */
  tick(): BreakerSetEvent[] {
    const events: BreakerSetEvent[] = [];
    for (const [id, b] of this.clusters) events.push(...tag('cluster', id, b.tick()));
    for (const [id, b] of this.sectors) events.push(...tag('sector', id, b.tick()));
    return this.withGlobal(events);
  }

  /** Earliest probe or re-evaluation time over all breakers, or null if none is pending. */
  nextCheckAt(): number | null {
    let next: number | null = null;
    for (const b of this.all()) {
      const t = b.nextCheckAt();
      if (t !== null && (next === null || t < next)) next = t;
    }
    return next;
  }

  /** Open clusters and sectors whose probe time has come. */
  dueProbes(): BreakerTarget[] {
    const due: BreakerTarget[] = [];
    for (const [targetId, b] of this.sectors) if (b.isProbeDue()) due.push({ scope: 'sector', targetId });
    for (const [targetId, b] of this.clusters) if (b.isProbeDue()) due.push({ scope: 'cluster', targetId });
    return due;
  }

  globalBreakerState(): BreakerState {
    return this.globalState;
  }

  /** Sectors currently open: what the global breaker counts. */
  openSectors(): number {
    return this.openSectorCount();
  }

  /** Every breaker that has seen traffic, global first, for status displays. */
  states(): BreakerStatus[] {
    const list: BreakerStatus[] = [
      {
        scope: 'global',
        targetId: GLOBAL_TARGET_ID,
        state: this.globalState,
        failuresInWindow: 0,
        failedProbes: 0,
        openedAt: null,
        nextCheckAt: null,
        trialsLeft: null,
        metricsOnly: this.metricsOnly,
      },
    ];
    for (const [targetId, b] of this.sectors) list.push({ scope: 'sector', targetId, ...b.snapshot() });
    for (const [targetId, b] of this.clusters) list.push({ scope: 'cluster', targetId, ...b.snapshot() });
    return list;
  }

  private applyGlobal(action: BreakerAction, reason: string): BreakerSetEvent[] {
    switch (action) {
      case 'OPEN':
        this.globalForced = true;
        return this.globalState === 'open' ? [] : [this.setGlobal('open', 'opened', reason)];
      case 'CLOSE':
        this.globalForced = false;
        return this.globalState === 'closed' ? [] : [this.setGlobal('closed', 'closed', reason)];
      case 'HALF_OPEN':
        throw new MeshError('INVALID_ARGUMENT', 'the global breaker has no half-open state', { path: 'action' });
    }
  }

  /** Re-evaluates the global breaker after sector events. */
  private withGlobal(events: BreakerSetEvent[]): BreakerSetEvent[] {
    const open = this.openSectorCount();
    const sectorTripped = events.some((e) => e.scope === 'sector' && e.to === 'open' && e.from !== 'open');
    if (this.globalState === 'closed' && sectorTripped && open > this.globalTripAbove) {
      events.push(this.setGlobal('open', 'opened', `${open} sectors open (limit ${this.globalTripAbove})`));
    } else if (this.globalState === 'open' && !this.globalForced && open <= this.globalRecoverAtOrBelow) {
      events.push(this.setGlobal('closed', 'closed', `${open} sectors open (recovers at ${this.globalRecoverAtOrBelow})`));
    }
    return events;
  }

  private setGlobal(to: 'open' | 'closed', change: BreakerChange, reason: string): BreakerSetEvent {
    const from = this.globalState;
    this.globalState = to;
    const kind = this.metricsOnly ? shadowOf(change) : change;
    return {
      scope: 'global',
      targetId: GLOBAL_TARGET_ID,
      name: breakerEventName(kind),
      kind,
      from,
      to,
      reason,
      at: this.clock.now(),
      nextCheckAt: null,
      shadow: this.metricsOnly,
    };
  }

  private openSectorCount(): number {
    let n = 0;
    for (const b of this.sectors.values()) if (b.state() === 'open') n++;
    return n;
  }

  private breaker(target: BreakerTarget): CircuitBreaker {
    switch (target.scope) {
      case 'cluster':
        return this.cluster(target.targetId);
      case 'sector':
        return this.sector(target.targetId);
    }
  }

  private cluster(id: string): CircuitBreaker {
    return getOrCreate(this.clusters, id, () => new CircuitBreaker(this.clock, this.clusterOpts));
  }

  private sector(id: string): CircuitBreaker {
    return getOrCreate(this.sectors, id, () => new CircuitBreaker(this.clock, this.sectorOpts));
  }

  private *all(): Iterable<CircuitBreaker> {
    yield* this.sectors.values();
    yield* this.clusters.values();
  }
}

function tag(scope: Scope, targetId: string, events: BreakerTransition[]): BreakerSetEvent[] {
  return events.map((e) => ({ ...e, scope, targetId }));
}

function getOrCreate<V>(map: Map<string, V>, key: string, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}
