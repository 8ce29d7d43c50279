/** What an operator (or main.ts's API) asks the cascade to do, and what it gets back. */
import { Capabilities, DEFAULT_ARRIVAL_WINDOW_MS, DurationMs, EpochMs, Id, Priority, RequestedReleaseMode, Selector, Verb } from '@mesh30k/shared';
import type { AgentClass } from '@mesh30k/shared';
import { z } from 'zod';
import type { ScatterRefusal } from '../scatter/errors.js';
import type { ScatterResult } from '../scatter/record.js';
import type { ArrivalFigures, ArrivalSketch } from './distribution.js';
import type { PhaseThresholds } from './strategies.js';
import type { ChildReport, PhaseStatus, SubtreeCounts } from './wire.js';

export const CascadeRequest = z
  .object({
    /** Chosen when absent; the operation id on every lead (priority_first phases add `-<class>`). */
    cascadeId: Id.max(60, 'at most 60 characters (phases append a suffix)').optional(),
    strategy: z.enum(['wave', 'parallel', 'priority_first']).default('wave'),
    verb: Verb,
    payload: z.unknown(),
    payloadWeight: z.number().min(0).max(10).default(0),
    targets: Selector.default({ all: true }),
    /** Release mode for the agents; lead-to-lead COORDINATEs are always `hold` (they carry T). */
    releaseMode: RequestedReleaseMode.default('hold'),
    arrivalWindowMs: DurationMs.gt(0, 'must be positive').default(DEFAULT_ARRIVAL_WINDOW_MS),
    priority: Priority.default(1),
    requiresCapabilities: Capabilities.default([]),
    /** T in this lead's mesh time; absent: as soon as the slowest part of the subtree can make it. */
    targetTime: EpochMs.optional(),
    /** How long each lead's own scatter gathers after T + window; default the service's childGatherMs. */
    gatherMs: DurationMs.optional(),
  })
  .strict();

export type CascadeRequestInput = z.input<typeof CascadeRequest>;
export type ResolvedCascadeRequest = z.output<typeof CascadeRequest>;

/** What became of one child lead in one phase. */
export type ChildState = 'reported' | 'refused' | 'unreachable' | 'no_report' | 'skipped';

export interface ChildOutcome {
  readonly leadId: string;
  readonly state: ChildState;
  /** Why it was skipped, refused or unreachable. */
  readonly reason: string | null;
  readonly hopMs: number;
  readonly confirmRttMs: number | null;
  readonly admission: string | null;
  /** T as the child converted it to its own clock. */
  readonly targetTimeLocal: number | null;
  readonly offsetToParentMs: number | null;
  readonly status: PhaseStatus | null;
  readonly counts: SubtreeCounts;
  readonly arrival: ArrivalFigures;
  readonly report: ChildReport | null;
}

export type OwnStatus = 'SUCCESS' | 'PARTIAL' | 'REFUSED' | 'NONE' | 'NOT_SENT';

export interface OwnOutcome {
  /** NONE: no own agent matched; NOT_SENT: wave stopped before this lead's agents. */
  readonly status: OwnStatus;
  readonly admission: 'started' | 'queued' | 'refused' | null;
  readonly result: ScatterResult | null;
  readonly refusal: ScatterRefusal | null;
}

export interface CascadePhaseResult {
  readonly operationId: string;
  /** priority_first: the class of this phase; otherwise null. */
  readonly agentClass: AgentClass | null;
  readonly status: PhaseStatus;
  readonly thresholds: PhaseThresholds;
  /** This lead's mesh time. */
  readonly targetTime: number;
  readonly targetChoice: 'requested' | 'chosen';
  /** Lead time the slowest part of the subtree needed when T was picked. */
  readonly neededLeadMs: number;
  readonly own: OwnOutcome;
  readonly children: readonly ChildOutcome[];
  readonly leads: { readonly sent: number; readonly confirmed: number; readonly reported: number };
  /** The whole subtree. */
  readonly counts: SubtreeCounts;
  readonly arrival: ArrivalFigures;
  readonly sketch: ArrivalSketch;
  readonly startedAt: number;
  readonly decidedAt: number;
}

export type CascadeStatus = PhaseStatus | 'COMPLETE';

export interface CascadeResult {
  readonly cascadeId: string;
  readonly strategy: ResolvedCascadeRequest['strategy'];
  /** wave, parallel: the phase's status; priority_first: COMPLETE (degradations listed). */
  readonly status: CascadeStatus;
  readonly phases: readonly CascadePhaseResult[];
  readonly counts: SubtreeCounts;
  readonly arrival: ArrivalFigures;
  /** One line per phase below its threshold (priority_first continues past them). */
  readonly degraded: readonly string[];
  readonly startedAt: number;
  readonly decidedAt: number;
}
