import type { BreakerAction } from '../protocol/enums.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What actually happened to a breaker. `extended`: a probe failed, the wait grew. */
export type BreakerChange = 'opened' | 'half-opened' | 'closed' | 'extended';
/** What a metrics-only (shadow) breaker would have done. */
export type ShadowChange = 'would-open' | 'would-half-open' | 'would-close' | 'would-extend';
export type BreakerEventKind = BreakerChange | ShadowChange;
export type BreakerEventName = `breaker.${BreakerEventKind}`;

/** Stable operational event names, for logs, dashboards and alerts. */
export const BREAKER_EVENTS = Object.freeze({
  opened: 'breaker.opened',
  halfOpened: 'breaker.half-opened',
  closed: 'breaker.closed',
  extended: 'breaker.extended',
  wouldOpen: 'breaker.would-open',
  wouldHalfOpen: 'breaker.would-half-open',
  wouldClose: 'breaker.would-close',
  wouldExtend: 'breaker.would-extend',
} as const satisfies Record<string, BreakerEventName>);

export interface BreakerTransition {
  readonly name: BreakerEventName;
  readonly kind: BreakerEventKind;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly reason: string;
  /** Mesh time at which the transition logically happened. */
  readonly at: number;
  /** When the caller should next probe (open) or re-evaluate (half-open); null when closed. */
  readonly nextCheckAt: number | null;
  /** True when the breaker is metrics-only and did not change routing. */
  readonly shadow: boolean;
}

export function breakerEventName(kind: BreakerEventKind): BreakerEventName {
  return `breaker.${kind}`;
}

export function shadowOf(change: BreakerChange): ShadowChange {
  switch (change) {
    case 'opened':
      return 'would-open';
    case 'half-opened':
      return 'would-half-open';
    case 'closed':
      return 'would-close';
    case 'extended':
      return 'would-extend';
  }
}

/** The control action (CIRCUIT message) that tells agents a breaker is now in `state`. */
export function breakerActionFor(state: BreakerState): BreakerAction {
  switch (state) {
    case 'closed':
      return 'CLOSE';
    case 'open':
      return 'OPEN';
    case 'half-open':
      return 'HALF_OPEN';
  }
}
