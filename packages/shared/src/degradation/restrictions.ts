import type { MeshMode } from '../protocol/enums.js';

/** What each mode restricts, as data for the lead to enforce and the dashboard to show. */
export interface ModeRestrictions {
  readonly mode: MeshMode;
  readonly description: string;
  /** Largest scatter-gather target set allowed without an operator override; null: no limit. */
  readonly maxScatterSize: number | null;
  readonly requiresOperatorOverrideForMeshWide: boolean;
  /** Automated (non-operator) operations are refused unless an operator overrides. */
  readonly automatedOperationsHalted: boolean;
  /** Only priority CRITICAL_PRIORITY operations run without an override. */
  readonly criticalOnly: boolean;
  /** Automated background work (priority 0) is refused. */
  readonly backgroundTasksDisabled: boolean;
  /** Operations below URGENT_PRIORITY are queued rather than run. */
  readonly queueNonUrgent: boolean;
  /** Route only to sectors whose breakers are closed. */
  readonly routeHealthySectorsOnly: boolean;
  /** Multiply retry timeouts by this, since a degraded mesh answers more slowly. */
  readonly retryTimeoutFactor: number;
  /** Write state to persistent storage now, in case the mesh must stop. */
  readonly preserveState: boolean;
  readonly alertOperators: boolean;
}

/** Priority scale of protocol/enums.ts: 0 background .. 3 critical. */
export const BACKGROUND_PRIORITY = 0;
export const URGENT_PRIORITY = 2;
export const CRITICAL_PRIORITY = 3;

/** Largest scatter allowed from DEGRADED_MODERATE down (spec 6.3: none over 1,000 agents). */
export const DEGRADED_MAX_SCATTER = 1_000;

const NONE: Omit<ModeRestrictions, 'mode' | 'description'> = {
  maxScatterSize: null,
  requiresOperatorOverrideForMeshWide: false,
  automatedOperationsHalted: false,
  criticalOnly: false,
  backgroundTasksDisabled: false,
  queueNonUrgent: false,
  routeHealthySectorsOnly: false,
  retryTimeoutFactor: 1,
  preserveState: false,
  alertOperators: false,
};

export const MODE_RESTRICTIONS: Readonly<Record<MeshMode, ModeRestrictions>> = Object.freeze({
  FULL: { ...NONE, mode: 'FULL', description: 'Nominal: no restrictions' },
  DEGRADED_LIGHT: {
    ...NONE,
    mode: 'DEGRADED_LIGHT',
    description: 'Some capacity lost: background work paused, retries wait longer',
    backgroundTasksDisabled: true,
    retryTimeoutFactor: 1.5,
  },
  DEGRADED_MODERATE: {
    ...NONE,
    mode: 'DEGRADED_MODERATE',
    description: 'Much capacity lost: healthy sectors only, small scatters, non-urgent work queued',
    maxScatterSize: DEGRADED_MAX_SCATTER,
    backgroundTasksDisabled: true,
    queueNonUrgent: true,
    routeHealthySectorsOnly: true,
    retryTimeoutFactor: 2,
  },
  DEGRADED_SEVERE: {
    ...NONE,
    mode: 'DEGRADED_SEVERE',
    description: 'Major outage: critical work only, mesh-wide operations need an operator',
    maxScatterSize: DEGRADED_MAX_SCATTER,
    requiresOperatorOverrideForMeshWide: true,
    criticalOnly: true,
    backgroundTasksDisabled: true,
    queueNonUrgent: true,
    routeHealthySectorsOnly: true,
    retryTimeoutFactor: 3,
    alertOperators: true,
  },
  EMERGENCY: {
    mode: 'EMERGENCY',
    description: 'Mesh critically impaired: automation halted, state preserved, operators alerted',
    maxScatterSize: DEGRADED_MAX_SCATTER,
    requiresOperatorOverrideForMeshWide: true,
    automatedOperationsHalted: true,
    criticalOnly: true,
    backgroundTasksDisabled: true,
    queueNonUrgent: true,
    routeHealthySectorsOnly: true,
    retryTimeoutFactor: 3,
    preserveState: true,
    alertOperators: true,
  },
});

/** A mode's restrictions, with any site-specific overrides applied. */
export function restrictionsFor(mode: MeshMode, overrides: Partial<Omit<ModeRestrictions, 'mode'>> = {}): ModeRestrictions {
  return Object.freeze({ ...MODE_RESTRICTIONS[mode], ...overrides, mode });
}
