import { deriveSeed } from '@mesh30k/shared';
import { logNormal, seededRandom, uniform, type Random } from './random.js';

/**
 * How a virtual agent's processing times are drawn. Two scenarios, both reported by the
 * arrival benchmark:
 * - `independent`: every operation a fresh log-normal draw around the class's base time
 *   (sigma 0.25 by default). No predictor can learn anything per agent here; it is the
 *   hardest case for lead mode and the one the sims always had.
 * - `realistic`: a stable per-agent speed factor (a Pi is consistently fast or slow: its SD
 *   card, its load), small per-operation noise, and occasional spikes (a GC pause, a busy
 *   bus). What a fleet of real devices looks like, and what the spec's lead-mode KPI is
 *   judged on.
 * Each agent also knows the true median of its own draws, for the benchmark's oracle.
 */
export interface RealisticProcessing {
  /** Sigma of the log-normal per-agent factor (drawn once per agent, median 1). */
  agent_spread: number;
  /** Sigma of the log-normal per-operation noise (median 1). */
  noise: number;
  /** Share of operations that spike. */
  spike_rate: number;
  /** A spike multiplies the draw by U(min, max). */
  spike_factor: { min: number; max: number };
}

export type ProcessingScenario = 'independent' | 'realistic';

export interface ProcessingModelSpec {
  scenario: ProcessingScenario;
  /** Sigma of the independent scenario's log-normal. */
  spread: number;
  realistic: RealisticProcessing;
}

export interface AgentProcessing {
  readonly scenario: ProcessingScenario;
  /** The true median of this agent's processing time (slow factor included), ms. */
  readonly medianMs: number;
  /** One operation's processing time, ms, from the agent's own stream. */
  draw(): number;
}

/**
 * The processing model of one agent with class base `baseMs`, drawing from `random` (the
 * agent's own stream). The per-agent factor comes from a stream derived from the agent's seed,
 * so both scenarios run the same fleet (ids, clocks, faults) and the independent one draws
 * exactly what the sims always drew.
 */
export function agentProcessing(model: ProcessingModelSpec, baseMs: number, slowFactor: number, seed: number, random: Random): AgentProcessing {
  if (model.scenario === 'independent') {
    return { scenario: 'independent', medianMs: baseMs * slowFactor, draw: () => logNormal(random, baseMs, model.spread) * slowFactor };
  }
  const r = model.realistic;
  const factor = logNormal(seededRandom(deriveSeed(seed, 0x0fac)), 1, r.agent_spread);
  const agentMedian = baseMs * factor * slowFactor;
  return {
    scenario: 'realistic',
    medianMs: agentMedian * noisySpikeMedian(r),
    draw: () => agentMedian * realisticFactor(random, r),
  };
}

function realisticFactor(random: Random, r: RealisticProcessing): number {
  const noise = logNormal(random, 1, r.noise);
  return random() < r.spike_rate ? noise * uniform(random, r.spike_factor.min, r.spike_factor.max) : noise;
}

/**
 * Median of noise x (spike ? U(min, max) : 1). With spikes of at least 1x (the spec keeps
 * min >= 1) the median lies where the unspiked part alone reaches 0.5, unless spikes overlap
 * it; the CDF is monotone, so bisection on it is exact to the tolerance either way.
 */
export function noisySpikeMedian(r: RealisticProcessing): number {
  const cdf = (x: number): number => {
    const plain = normalCdf(Math.log(x) / Math.max(r.noise, 1e-12));
    if (r.spike_rate === 0) return plain;
    // P(noise x U <= x), averaged over U on a fine grid: U's density is flat.
    const steps = 64;
    let spiked = 0;
    for (let i = 0; i < steps; i++) {
      const u = r.spike_factor.min + ((i + 0.5) / steps) * (r.spike_factor.max - r.spike_factor.min);
      spiked += normalCdf(Math.log(x / u) / Math.max(r.noise, 1e-12));
    }
    return (1 - r.spike_rate) * plain + r.spike_rate * (spiked / steps);
  };
  let lo = 1e-3;
  let hi = 1e3;
  for (let i = 0; i < 80; i++) {
    const mid = Math.sqrt(lo * hi);
    if (cdf(mid) < 0.5) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(lo * hi);
}

/** Standard normal CDF (Abramowitz and Stegun 7.1.26 for erf: error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
