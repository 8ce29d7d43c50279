/**
 * The three cascade strategies of spec 3.3, each with its own response thresholds.
 *
 * - wave: the child leads first, with the higher coordinator threshold: each must confirm the
 *   cascade COORDINATE (verified, T converted, its own scatter admitted) before this lead
 *   starts its own agents; below the threshold the cascade stops there (FAILED_AT_SECTOR) and
 *   this lead's own agents are not sent to. Then the agents' ready share is judged.
 * - parallel: children and own agents at once, one lower threshold for both.
 * - priority_first: one phase per class, D, C, B, A, E (then F, which the spec does not
 *   order), each a whole-mesh cascade of its own with its own T and threshold, run one after
 *   the other; a phase below its threshold is noted as a degradation and the next one runs.
 */
import type { AgentClass } from '@mesh30k/shared';

export type CascadeStrategy = 'wave' | 'parallel' | 'priority_first';
export const CASCADE_STRATEGIES: readonly CascadeStrategy[] = ['wave', 'parallel', 'priority_first'];

/** spec 3.3 wave: sector coordinators must confirm at 0.98 ("higher threshold for coordinators"). */
export const WAVE_LEAD_CONFIRM_RATE = 0.98;
/** wave: share of the agents sent to that must be READY (the quorum default). */
export const WAVE_AGENT_READY_RATE = 0.95;
/** spec 3.3 parallel: 0.90 ("lower threshold for speed"), for child leads and agents alike. */
export const PARALLEL_READY_RATE = 0.9;
/** spec 3.3 priority_first: class order and the ready share each phase needs. */
export const PRIORITY_ORDER: readonly { readonly agentClass: AgentClass; readonly readyRate: number }[] = Object.freeze([
  { agentClass: 'D', readyRate: 0.99 },
  { agentClass: 'C', readyRate: 0.98 },
  { agentClass: 'B', readyRate: 0.95 },
  { agentClass: 'A', readyRate: 0.9 },
  { agentClass: 'E', readyRate: 0.85 },
  // Not in the spec's order (humans are not timed); last, with the lowest threshold.
  { agentClass: 'F', readyRate: 0.85 },
]);

/** The thresholds one phase runs with. */
export interface PhaseThresholds {
  /** Share of the child leads sent to that must confirm the COORDINATE (wave stops below it). */
  readonly leadConfirmRate: number;
  /** Share of the agents sent to (whole subtree) that must be READY. */
  readonly agentReadyRate: number;
  /** wave: children must confirm before this lead's own agents are sent to. */
  readonly childrenFirst: boolean;
}

export function thresholdsFor(strategy: CascadeStrategy, agentClass?: AgentClass): PhaseThresholds {
  switch (strategy) {
    case 'wave':
      return { leadConfirmRate: WAVE_LEAD_CONFIRM_RATE, agentReadyRate: WAVE_AGENT_READY_RATE, childrenFirst: true };
    case 'parallel':
      return { leadConfirmRate: PARALLEL_READY_RATE, agentReadyRate: PARALLEL_READY_RATE, childrenFirst: false };
    case 'priority_first': {
      const rate = PRIORITY_ORDER.find((p) => p.agentClass === agentClass)?.readyRate ?? PARALLEL_READY_RATE;
      return { leadConfirmRate: rate, agentReadyRate: rate, childrenFirst: false };
    }
  }
}
