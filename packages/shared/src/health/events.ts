export type HealthState = 'healthy' | 'quarantined' | 'probation' | 'retired';

/**
 * `released`: quarantine ended, probation began. `recovered`: probation ended.
 * `extended`: an outcome during quarantine restarted the cooldown (state unchanged).
 */
export type HealthChange = 'quarantined' | 'released' | 'recovered' | 'retired' | 'extended';
export type HealthEventName = `health.${HealthChange}`;

/** Stable operational event names for logs and alerts. */
export const HEALTH_EVENTS = Object.freeze({
  quarantined: 'health.quarantined',
  released: 'health.released',
  recovered: 'health.recovered',
  retired: 'health.retired',
  extended: 'health.extended',
} as const satisfies Record<HealthChange, HealthEventName>);

export interface HealthEvent {
  readonly name: HealthEventName;
  readonly kind: HealthChange;
  readonly from: HealthState;
  readonly to: HealthState;
  readonly reason: string;
  /** Mesh time at which the transition logically happened. */
  readonly at: number;
  /** Score right after the transition. */
  readonly score: number;
}
