import type { AnomalyThresholds, HardwareThresholds, HealthOptionsInput, ModeThresholds } from '@mesh30k/shared';
import type { LeadConfig } from '../config/index.js';

/** What the registry needs from the configuration, as plain numbers. */
export interface RegistryOptions {
  heartbeatIntervalMs: number;
  missedForOffline: number;
  crashAfterMs: number;
  quarantineMaxShare: number;
  panicBelowHealthy: number;
  probeMaxInFlight: number;
  anomaly: Partial<AnomalyThresholds>;
  modeThresholds: Partial<ModeThresholds>;
  health: HealthOptionsInput;
  /** When the agent's own health block degrades it; default shared's HARDWARE_THRESHOLDS. */
  hardware?: Partial<HardwareThresholds>;
  /** Impedance and clock samples kept per agent for the dashboard (0: none); default DEFAULT_HISTORY_SAMPLES. */
  historySamples?: number;
  /** Operation outcomes kept per agent; default DEFAULT_HISTORY_OUTCOMES. */
  historyOutcomes?: number;
}

/** An agent heartbeating faster than asked is judged by the configured interval; slower, by its own, up to this many intervals. */
export const MAX_INTERVAL_STRETCH = 4;
/** Heartbeats before an agent's own interval is trusted. */
export const MIN_INTERVAL_SAMPLES = 3;
/** Half-life, in heartbeats, of the observed interval. */
export const INTERVAL_HALF_LIFE = 10;
/** Within this of the last heartbeat an agent counts as recent (spec 3.1 calculate_confidence). */
export const RECENT_HEARTBEAT_MS = 10_000;

export function registryOptionsFrom(config: LeadConfig): RegistryOptions {
  const t = config.thresholds;
  return {
    heartbeatIntervalMs: config.heartbeat.interval_ms,
    missedForOffline: config.heartbeat.missed_for_offline,
    crashAfterMs: config.heartbeat.crash_after_ms,
    quarantineMaxShare: config.registry.quarantine_max_share,
    panicBelowHealthy: config.registry.panic_below_healthy,
    probeMaxInFlight: config.registry.probe_max_in_flight,
    historySamples: config.registry.history_samples,
    anomaly: { degradedScore: t.degraded_score, unstableDrift: t.unstable_drift, spikeFactor: t.spike_factor },
    modeThresholds: {
      FULL: t.mode.full,
      DEGRADED_LIGHT: t.mode.degraded_light,
      DEGRADED_MODERATE: t.mode.degraded_moderate,
      DEGRADED_SEVERE: t.mode.degraded_severe,
    },
    health: {},
    hardware: {
      hotAboveC: t.hardware.hot_above_c,
      degradeOnUnderVoltage: t.hardware.degrade_on_under_voltage,
      degradeOnThrottled: t.hardware.degrade_on_throttled,
      degradeOnHot: t.hardware.degrade_on_hot,
    },
  };
}
