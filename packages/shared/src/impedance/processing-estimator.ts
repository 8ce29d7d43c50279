import { z } from 'zod';
import { MeshError } from '../lib/errors.js';
import { AgentClass, Verb } from '../protocol/enums.js';
import { CLASS_BASE_MS, conditionFactor, PAYLOAD_WEIGHT_FACTOR, QUEUE_DEPTH_FACTOR } from './class-prior.js';
import { EWMA_SLOTS, ewmaStep, resolveAlpha } from './ewma.js';

/**
 * Expected processing time of one agent, per verb, learned from its own measurements with the
 * spec's class formula as the prior (DESIGN.md, timing model).
 *
 * Model: time = base x (1 + 0.5 weight) x (1 + 0.1 queue), the spec's shape. Learning fits
 * the base: each sample is divided by its condition factor before it enters an EWMA (mean and
 * variance), and estimates multiply the factor back. So prior and learned values share one
 * shape and can be blended, and a measurement taken under the same conditions as the question
 * is answered by (about) its own mean.
 *
 * Shrinkage in two steps, each weighted by w(n) = min(1, n / fullTrustSamples):
 *   agent = w(n_all)  x learned(all verbs) + (1 - w) x class prior
 *   verb  = w(n_verb) x learned(verb)      + (1 - w) x agent
 * so a verb never seen falls back to the agent's all-verb estimate, and an agent never
 * measured falls back to the class prior. Spreads combine as a mixture (within-component
 * variances plus the spread between the means).
 *
 * Memory: the whole state is one plain number[] of 7 x 3 doubles (six verbs and "all"), which
 * V8 stores as a packed double array, about 260 bytes per estimator with its object.
 */

/** Samples after which a level's own data is trusted fully over its fallback. */
export const DEFAULT_FULL_TRUST_SAMPLES = 20;
/** Half-life, in samples, of the learned EWMAs. */
export const DEFAULT_ESTIMATOR_HALF_LIFE = 50;
/** The prior's spread as a fraction of its mean: the class table is a rough guess. */
export const DEFAULT_PRIOR_RELATIVE_SPREAD = 0.5;

export interface ProcessingEstimatorOptions {
  fullTrustSamples?: number;
  halfLife?: number;
  priorRelativeSpread?: number;
}

interface ResolvedOptions {
  readonly fullTrustSamples: number;
  readonly alpha: number;
  readonly priorRelativeSpread: number;
}

export interface ProcessingConditions {
  /** The verb; absent means "any verb" (the agent-level estimate). */
  verb?: Verb;
  payloadWeight?: number;
  queueDepth?: number;
}

export interface ProcessingEstimate {
  expectedMs: number;
  spreadMs: number;
  /** Samples behind the most specific level that has any: the verb's, else the agent's. */
  samples: number;
  /** prior: no measurements; learned: measurements only; blended: both contribute. */
  source: 'prior' | 'learned' | 'blended';
  /** Most specific level with data. */
  basis: 'verb' | 'agent' | 'class';
}

const VERBS = Verb.options;
const ALL = VERBS.length;
const LEVELS = VERBS.length + 1;
const VERB_INDEX: Readonly<Record<Verb, number>> = Object.freeze(
  Object.fromEntries(VERBS.map((v, i) => [v, i])) as Record<Verb, number>,
);

/** EWMA triple as persisted: [count, mean base ms, variance]. */
const Stats = z.tuple([z.number().int().min(0), z.number().finite().min(0), z.number().finite().min(0)]);

/** Persisted form of one estimator (snake_case like the rest of the stored registry). */
export const ProcessingEstimatorSnapshot = z.object({
  v: z.literal(1),
  agent_class: AgentClass,
  /** Only levels with samples are present; `all` is every verb together. */
  stats: z.partialRecord(z.enum([...VERBS, 'all']), Stats),
});
export type ProcessingEstimatorSnapshot = z.infer<typeof ProcessingEstimatorSnapshot>;

interface Component {
  mean: number;
  spread: number;
  /** Share of the class prior in this component, 0..1 (a product, so 0 and 1 stay exact). */
  priorShare: number;
}

/** Shared by every estimator built without options, so each instance holds only a reference. */
const DEFAULT_OPTIONS: ResolvedOptions = resolveOptions({});

export class ProcessingEstimator {
  /** count, mean, variance per level: VERBS in enum order, then all verbs together. */
  private readonly state: number[];
  private readonly options: ResolvedOptions;

  constructor(
    readonly agentClass: AgentClass,
    options?: ProcessingEstimatorOptions,
  ) {
    this.options = options === undefined ? DEFAULT_OPTIONS : resolveOptions(options);
    this.state = new Array<number>(LEVELS * EWMA_SLOTS).fill(0);
  }

  /** Records one measured processing time (receipt to ready) and the conditions it ran under. */
  record(ms: number, conditions: ProcessingConditions = {}): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new MeshError('INVALID_ARGUMENT', `processing time must be a finite number >= 0, got ${ms}`, {
        path: 'ms',
      });
    }
    const base = ms / conditionFactor(conditions.payloadWeight ?? 0, conditions.queueDepth ?? 0);
    if (conditions.verb !== undefined) {
      ewmaStep(this.state, VERB_INDEX[conditions.verb] * EWMA_SLOTS, this.options.alpha, base);
    }
    ewmaStep(this.state, ALL * EWMA_SLOTS, this.options.alpha, base);
  }

  /** Samples recorded for a verb, or for all verbs when none is given. */
  samples(verb?: Verb): number {
    return this.count(verb === undefined ? ALL : VERB_INDEX[verb]);
  }

  estimate(conditions: ProcessingConditions = {}): ProcessingEstimate {
    const weight = conditions.payloadWeight ?? 0;
    const queue = conditions.queueDepth ?? 0;
    conditionFactor(weight, queue); // validates both

    const baseMs = CLASS_BASE_MS[this.agentClass];
    const prior: Component = { mean: baseMs, spread: baseMs * this.options.priorRelativeSpread, priorShare: 1 };
    const agent = this.shrink(ALL, prior);
    const verbLevel = conditions.verb === undefined ? undefined : VERB_INDEX[conditions.verb];
    const final = verbLevel === undefined ? agent : this.shrink(verbLevel, agent);

    const verbSamples = verbLevel === undefined ? 0 : this.count(verbLevel);
    const agentSamples = this.count(ALL);
    // Same order of operations as the spec's formula, so the pure prior matches it exactly.
    const scale = (x: number) => x * (1 + weight * PAYLOAD_WEIGHT_FACTOR) * (1 + queue * QUEUE_DEPTH_FACTOR);
    return {
      expectedMs: scale(final.mean),
      spreadMs: scale(final.spread),
      samples: verbSamples > 0 ? verbSamples : agentSamples,
      source: final.priorShare === 1 ? 'prior' : final.priorShare === 0 ? 'learned' : 'blended',
      basis: verbSamples > 0 ? 'verb' : agentSamples > 0 ? 'agent' : 'class',
    };
  }

  toJSON(): ProcessingEstimatorSnapshot {
    const stats: ProcessingEstimatorSnapshot['stats'] = {};
    for (let level = 0; level < LEVELS; level++) {
      const count = this.count(level);
      if (count === 0) continue;
      const o = level * EWMA_SLOTS;
      stats[level === ALL ? 'all' : (VERBS[level] as Verb)] = [count, this.state[o + 1] ?? 0, this.state[o + 2] ?? 0];
    }
    return { v: 1, agent_class: this.agentClass, stats };
  }

  /** Restores a snapshot; throws MeshError INVALID_FIELDS (with the path) on a bad one. */
  static fromJSON(snapshot: unknown, options?: ProcessingEstimatorOptions): ProcessingEstimator {
    const parsed = ProcessingEstimatorSnapshot.safeParse(snapshot);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.map(String).join('.') ?? '';
      throw new MeshError('INVALID_FIELDS', `invalid estimator snapshot at ${path || '(root)'}`, {
        path,
        cause: parsed.error,
      });
    }
    const estimator = new ProcessingEstimator(parsed.data.agent_class, options);
    for (const [key, triple] of Object.entries(parsed.data.stats)) {
      if (triple === undefined) continue;
      const level = key === 'all' ? ALL : VERB_INDEX[key as Verb];
      const o = level * EWMA_SLOTS;
      estimator.state[o] = triple[0];
      estimator.state[o + 1] = triple[1];
      estimator.state[o + 2] = triple[2];
    }
    return estimator;
  }

  private count(level: number): number {
    return this.state[level * EWMA_SLOTS] ?? 0;
  }

  /** Blends a level's learned EWMA with its fallback by w(n). */
  private shrink(level: number, fallback: Component): Component {
    const n = this.count(level);
    if (n === 0) return fallback;
    const w = Math.min(1, n / this.options.fullTrustSamples);
    const o = level * EWMA_SLOTS;
    const mean = this.state[o + 1] ?? 0;
    const variance = this.state[o + 2] ?? 0;
    if (w === 1) return { mean, spread: Math.sqrt(variance), priorShare: 0 };
    const gap = mean - fallback.mean;
    return {
      mean: w * mean + (1 - w) * fallback.mean,
      spread: Math.sqrt(w * variance + (1 - w) * fallback.spread ** 2 + w * (1 - w) * gap * gap),
      priorShare: (1 - w) * fallback.priorShare,
    };
  }
}

function resolveOptions(options: ProcessingEstimatorOptions): ResolvedOptions {
  const fullTrustSamples = options.fullTrustSamples ?? DEFAULT_FULL_TRUST_SAMPLES;
  if (!Number.isFinite(fullTrustSamples) || fullTrustSamples < 1) {
    throw new MeshError('INVALID_ARGUMENT', `fullTrustSamples must be >= 1, got ${fullTrustSamples}`, {
      path: 'fullTrustSamples',
    });
  }
  const priorRelativeSpread = options.priorRelativeSpread ?? DEFAULT_PRIOR_RELATIVE_SPREAD;
  if (!Number.isFinite(priorRelativeSpread) || priorRelativeSpread < 0) {
    throw new MeshError('INVALID_ARGUMENT', `priorRelativeSpread must be >= 0, got ${priorRelativeSpread}`, {
      path: 'priorRelativeSpread',
    });
  }
  const alpha = resolveAlpha({ halfLife: options.halfLife ?? DEFAULT_ESTIMATOR_HALF_LIFE });
  return Object.freeze({ fullTrustSamples, alpha, priorRelativeSpread });
}
