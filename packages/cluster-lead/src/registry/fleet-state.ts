import { activeRate, nextMode, type MeshMode } from '@mesh30k/shared';
import { LEAD_EVENTS } from '../lib/events.js';
import type { RegistryCore } from './core.js';

/**
 * The lead-wide view: the degradation mode (shared's nextMode, with its hysteresis, from the
 * share of routable agents) and panic mode (below `panicBelowHealthy` routable, selection
 * stops filtering on health rather than pile everything onto the few agents left).
 * "Routable" is active or degraded: a slow agent still takes work, an offline one cannot.
 */
export class FleetState {
  private currentMode: MeshMode;
  /** An operator's override (PUT /v1/mode): the mode everyone sees while set. */
  private override: MeshMode | null = null;
  /** Panic as last reported in an event; `panic` itself is always computed live. */
  private reportedPanic = false;

  constructor(
    private readonly core: RegistryCore,
    initialMode: MeshMode = 'EMERGENCY',
  ) {
    this.currentMode = initialMode;
  }

  get mode(): MeshMode {
    return this.override ?? this.currentMode;
  }

  /** The mode from the fleet's health alone, whatever the override. */
  get computedMode(): MeshMode {
    return this.currentMode;
  }

  get modeOverride(): MeshMode | null {
    return this.override;
  }

  /** Sets or clears the override; mode.changed is emitted when the effective mode changes. */
  setOverride(mode: MeshMode | null): void {
    const before = this.mode;
    this.override = mode;
    if (this.mode !== before) this.core.emit({ name: LEAD_EVENTS.modeChanged, at: this.core.now(), from: before, to: this.mode, activeRate: this.healthyShare() });
  }

  get panic(): boolean {
    return this.core.fleetSize() > 0 && this.healthyShare() < this.core.options.panicBelowHealthy;
  }

  /** Share of the fleet (retired agents excluded) that routing may use; 0 for an empty fleet. */
  healthyShare(): number {
    return activeRate(this.core.routableCount(), this.core.fleetSize());
  }

  /** Recomputes both, emitting mode.changed and panic.entered/exited on a change. */
  update(): void {
    const now = this.core.now();
    const rate = this.healthyShare();
    const mode = nextMode(this.currentMode, rate, { thresholds: this.core.options.modeThresholds });
    if (mode !== this.currentMode) {
      // Under an override the effective mode does not move; the computed one is still tracked.
      if (this.override === null) this.core.emit({ name: LEAD_EVENTS.modeChanged, at: now, from: this.currentMode, to: mode, activeRate: rate });
      this.currentMode = mode;
    }
    const panic = this.panic;
    if (panic !== this.reportedPanic) {
      this.reportedPanic = panic;
      this.core.emit({ name: panic ? LEAD_EVENTS.panicEntered : LEAD_EVENTS.panicExited, at: now, healthyShare: rate });
    }
  }
}
