/**
 * What a lead reports about its subtree: its own agents counted exactly, its child leads'
 * summaries added in. The largest lead time is the slowest own agent's schedule lead time for
 * the default verb, or a child's plus the hop to it and the child's handling time, whichever
 * is larger: a parent that starts this long before T reaches everyone below in time.
 */
import { leadTimeFor } from '@mesh30k/shared';
import type { AgentTiming, OperationalState, Selector, Summary, Verb } from '@mesh30k/shared';
import type { ScatterTargets, TargetAgent } from '../scatter/ports.js';
import { quantileSorted } from './distribution.js';
import type { SubtreeSource } from './ports.js';

/** Summary.capabilities holds at most this many (the schema's limit). */
const MAX_CAPABILITIES = 64;
const IMPEDANCE_MAX = 1000;

export type StateCounts = Summary['by_state'];
export type ImpedanceFigures = Summary['impedance'];

/** The part of a SUMMARY that describes the subtree (header, ids, mode and frozen aside). */
export interface SubtreeFigures {
  readonly agentCount: number;
  readonly byState: StateCounts;
  readonly impedance: ImpedanceFigures;
  readonly maxLeadTimeMs: number;
  readonly capabilities: readonly string[];
}

/** A live child lead's last summary and the time it takes to reach it. */
export interface ChildFigures {
  readonly summary: Summary;
  /** One-way hop to the child plus its handling time, ms. */
  readonly reachMs: number;
}

const routable = (state: OperationalState): boolean => state === 'active' || state === 'degraded';

/** The timing record shared's scheduler would get for this agent (as scatter/selection.ts builds it). */
export function timingOf(agent: TargetAgent, targets: ScatterTargets, verb: Verb, payloadWeight: number): AgentTiming {
  const processing = targets.estimateProcessing(agent.agentId, { verb, payloadWeight });
  return {
    agentId: agent.agentId,
    oneWayDelayMs: agent.oneWayDelayMs,
    jitterMs: agent.jitterMs,
    expectedProcessingMs: processing.expectedMs,
    processingSpreadMs: processing.spreadMs,
    confidence: agent.confidence,
    supportedModes: agent.supportedModes,
  };
}

/** Largest schedule lead time among the routable agents the selector matches (0 with none). */
export function maxOwnLeadTimeMs(targets: ScatterTargets, selector: Selector, verb: Verb, payloadWeight: number): number {
  let max = 0;
  for (const agent of targets.select(selector)) {
    if (!routable(agent.state)) continue;
    const lead = leadTimeFor(timingOf(agent, targets, verb, payloadWeight)).leadTimeMs;
    if (Number.isFinite(lead) && lead > max) max = lead;
  }
  return max;
}

export function subtreeFigures(source: SubtreeSource, children: readonly ChildFigures[], verb: Verb): SubtreeFigures {
  const agents = source.targets.select({ all: true });
  const byState: StateCounts = { active: 0, degraded: 0, offline: 0, quarantined: 0 };
  const scores: number[] = [];
  const capabilities = new Set<string>();
  for (const agent of agents) {
    byState[agent.state] += 1;
    const score = source.impedanceScore(agent.agentId);
    if (score !== undefined && Number.isFinite(score)) scores.push(Math.min(IMPEDANCE_MAX, Math.max(0, score)));
    for (const c of agent.capabilities) capabilities.add(c);
  }
  let maxLeadTimeMs = maxOwnLeadTimeMs(source.targets, { all: true }, verb, 0);
  for (const child of children) {
    const s = child.summary;
    for (const state of Object.keys(byState) as (keyof StateCounts)[]) byState[state] += s.by_state[state];
    for (const c of s.capabilities) capabilities.add(c);
    maxLeadTimeMs = Math.max(maxLeadTimeMs, s.max_lead_time_ms + child.reachMs);
  }
  return {
    agentCount: agents.length + children.reduce((a, c) => a + c.summary.agent_count, 0),
    byState,
    impedance: impedanceFigures(scores, children.map((c) => c.summary)),
    maxLeadTimeMs,
    capabilities: [...capabilities].sort().slice(0, MAX_CAPABILITIES),
  };
}

/**
 * Own agents exactly; children's figures weighted by their agent counts. Mean and max merge
 * exactly; p50 and p95 of a merge are the count-weighted means of the parts' (an approximation
 * that is exact when the parts are alike, which is what an operator compares them against).
 */
export function impedanceFigures(own: readonly number[], children: readonly Summary[]): ImpedanceFigures {
  const sorted = [...own].sort((a, b) => a - b);
  const parts: { n: number; f: ImpedanceFigures }[] = [];
  if (sorted.length > 0) {
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    parts.push({ n: sorted.length, f: { mean, p50: quantileSorted(sorted, 0.5), p95: quantileSorted(sorted, 0.95), max: sorted[sorted.length - 1]! } });
  }
  for (const c of children) if (c.agent_count > 0) parts.push({ n: c.agent_count, f: c.impedance });
  const n = parts.reduce((a, p) => a + p.n, 0);
  if (n === 0) return { mean: 0, p50: 0, p95: 0, max: 0 };
  const weighted = (pick: (f: ImpedanceFigures) => number): number => parts.reduce((a, p) => a + p.n * pick(p.f), 0) / n;
  return { mean: weighted((f) => f.mean), p50: weighted((f) => f.p50), p95: weighted((f) => f.p95), max: Math.max(...parts.map((p) => p.f.max)) };
}
