/**
 * Which agent gets a delegated task: the registry's agents the target matches, minus those that
 * cannot take it (quarantined, offline, retired, already tried, not able to run a `none`
 * COORDINATE, expected to need longer than the timeout, refused by the pre-check), ranked:
 *
 *   1. active before degraded;
 *   2. lowest expected total delay (one-way delay + expected processing for this verb and
 *      payload weight), compared in quanta of `delayQuantumMs` so that agents a few ms apart
 *      count as equally fast;
 *   3. highest health score;
 *   4. lowest exact expected delay, then agent id (a total, deterministic order).
 *
 * Panic mode does not lift the state filter here: a delegation goes to one agent, so sending
 * it to an offline or quarantined one cannot spread load, only lose the task.
 */
import type { Selector } from '@mesh30k/shared';
import type { AgentQuery, Selection } from '../registry/query.js';
import type { AgentTimingInputs, TimingConditions } from '../registry/timing.js';
import type { AgentView } from '../registry/views.js';
import type { DelegationTargetSpec, ParsedDelegation } from './request.js';

/** The registry's read side, as much of it as the chooser uses (src/registry/registry.ts). */
export interface DelegationRegistry {
  select(query: AgentQuery): Selection;
  get(agentId: string): AgentView | undefined;
  timingInputs(agentId: string, conditions?: TimingConditions): AgentTimingInputs | undefined;
}

/** Compared in 10 ms steps: the scatter engine's send bucket. */
export const DEFAULT_DELAY_QUANTUM_MS = 10;

export interface Candidate {
  readonly agentId: string;
  readonly state: 'active' | 'degraded';
  readonly healthScore: number;
  readonly oneWayDelayMs: number;
  readonly expectedProcessingMs: number;
  /** oneWayDelayMs + expectedProcessingMs. */
  readonly expectedTotalMs: number;
}

export type ExclusionCode = 'unknown' | 'retired' | 'offline' | 'quarantined' | 'already_tried' | 'unsupported_mode' | 'too_slow' | 'not_routable';

export interface Exclusion {
  readonly agentId: string;
  readonly code: ExclusionCode;
  readonly detail: string;
}

export interface Ranking {
  /** Best first. */
  readonly ranked: readonly Candidate[];
  readonly excluded: readonly Exclusion[];
}

export interface RankOptions {
  readonly delayQuantumMs?: number;
  /** Agents already tried in this delegation. */
  readonly exclude?: ReadonlySet<string>;
  /**
   * A side-effect-free routability check (e.g. freeze), reason or null. Breakers are not asked
   * here: LeadBreakers.routable admits half-open trials, so it is for the engine to call when
   * it sends; an agent it refuses is skipped (not_routable) and the next one is tried.
   */
  readonly precheck?: (agent: AgentView) => string | null;
}

const STATE_RANK = { active: 0, degraded: 1 } as const;

export function selectorOf(to: DelegationTargetSpec): Selector {
  if (to === 'best_available') return { all: true };
  if ('capability' in to) return { capability: to.capability };
  if ('agentClass' in to) return { agent_class: to.agentClass };
  return { agent_ids: [to.agentId] };
}

export function rankCandidates(registry: DelegationRegistry, request: ParsedDelegation, options: RankOptions = {}): Ranking {
  const quantum = options.delayQuantumMs ?? DEFAULT_DELAY_QUANTUM_MS;
  const selection = registry.select({ selector: selectorOf(request.to), states: ['active', 'degraded'], honourPanic: false });
  const excluded: Exclusion[] = selection.unknown.map((agentId) => ({ agentId, code: 'unknown', detail: 'not in the registry' }));
  for (const { agentId, reason } of selection.excluded) {
    const code: ExclusionCode = reason === 'retired' ? 'retired' : reason === 'state:offline' ? 'offline' : 'quarantined';
    excluded.push({ agentId, code, detail: reason === 'retired' ? 'agent is retired' : `agent is ${reason.slice('state:'.length)}` });
  }
  const conditions: TimingConditions = { verb: request.task.verb, payloadWeight: request.task.payloadWeight };
  const ranked: Candidate[] = [];
  for (const agentId of selection.agentIds) {
    const exclude = (code: ExclusionCode, detail: string): void => void excluded.push({ agentId, code, detail });
    if (options.exclude?.has(agentId) === true) {
      exclude('already_tried', 'tried earlier in this delegation');
      continue;
    }
    const view = registry.get(agentId);
    const timing = registry.timingInputs(agentId, conditions);
    if (view === undefined || timing === undefined) {
      exclude('unknown', 'left the registry while ranking');
      continue;
    }
    if (view.state !== 'active' && view.state !== 'degraded') {
      exclude(view.state, `agent is ${view.state}`);
      continue;
    }
    if (!timing.supportedModes.includes('none')) {
      exclude('unsupported_mode', `supports ${timing.supportedModes.join(', ') || 'no release mode'}; a delegation is sent in none mode`);
      continue;
    }
    const expectedTotalMs = timing.oneWayDelayMs + timing.processing.expectedMs;
    if (!Number.isFinite(expectedTotalMs)) {
      exclude('unsupported_mode', 'timing record is unusable');
      continue;
    }
    if (expectedTotalMs > request.timeoutMs) {
      exclude('too_slow', `expected ${expectedTotalMs.toFixed(1)} ms (one-way + processing), timeout ${request.timeoutMs} ms`);
      continue;
    }
    const refused = options.precheck?.(view) ?? null;
    if (refused !== null) {
      exclude('not_routable', refused);
      continue;
    }
    ranked.push({
      agentId,
      state: view.state,
      healthScore: view.health.score,
      oneWayDelayMs: timing.oneWayDelayMs,
      expectedProcessingMs: timing.processing.expectedMs,
      expectedTotalMs,
    });
  }
  ranked.sort((a, b) => compareCandidates(a, b, quantum));
  return { ranked, excluded };
}

export function compareCandidates(a: Candidate, b: Candidate, quantumMs = DEFAULT_DELAY_QUANTUM_MS): number {
  return (
    STATE_RANK[a.state] - STATE_RANK[b.state] ||
    Math.floor(a.expectedTotalMs / quantumMs) - Math.floor(b.expectedTotalMs / quantumMs) ||
    b.healthScore - a.healthScore ||
    a.expectedTotalMs - b.expectedTotalMs ||
    (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0)
  );
}
