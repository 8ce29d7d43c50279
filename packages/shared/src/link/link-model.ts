// What one direction of an emulated link does to each message or chunk: base delay, jitter,
// loss (a retransmission's extra delay). Pure: the harness's TCP link emulator, the sim's
// per-agent links and the clock's property tests all draw delays from this one model.

/** Returns a uniform number in [0, 1). */
export type UniformRandom = () => number;

export type JitterShape = 'uniform' | 'heavy-tail';

export interface LinkProfile {
  /** One-way propagation delay added to every chunk. */
  baseMs: number;
  /** Size of the random extra delay; 0 (the default) means none. */
  jitterMs?: number;
  /**
   * 'uniform' (default) adds U(0, jitterMs). 'heavy-tail' adds a queueing-like delay whose
   * median is jitterMs/3, with rare values at several times jitterMs (see HEAVY_TAIL_*).
   */
  jitter?: JitterShape;
  /** Probability that a chunk is "lost" and so arrives only after a retransmission. */
  lossRate?: number;
  /** Extra delay of a lost chunk; default: see defaultRetransmitMs. */
  retransmitMs?: number;
}

/**
 * The heavy tail is a Lomax (Pareto type II) distribution, which starts at 0 like a queue
 * that is usually empty. Shape 3 gives a finite mean and variance yet ~3% of samples above
 * 3x jitterMs and ~1% above 5x; the cap keeps one unlucky sample from stalling a test.
 */
export const HEAVY_TAIL_SHAPE = 3;
export const HEAVY_TAIL_MEDIAN_FRACTION = 1 / 3;
export const HEAVY_TAIL_CAP_FACTOR = 10;

/**
 * Linux never retransmits sooner than its minimum RTO of 200 ms, and an RTO is about one
 * smoothed RTT above that floor; a lost chunk therefore shows up RTT + 200 ms late.
 */
export const MIN_RTO_MS = 200;

export function defaultRetransmitMs(up: LinkProfile, down: LinkProfile): number {
  return up.baseMs + down.baseMs + MIN_RTO_MS;
}

export interface DelaySample {
  readonly delayMs: number;
  readonly lost: boolean;
}

/** Draws the delay of one chunk. `retransmitMs` applies when the profile gives none. */
export function sampleDelay(profile: LinkProfile, random: UniformRandom, retransmitMs: number): DelaySample {
  const lost = (profile.lossRate ?? 0) > 0 && random() < (profile.lossRate ?? 0);
  const extra = lost ? (profile.retransmitMs ?? retransmitMs) : 0;
  return { delayMs: profile.baseMs + sampleJitter(profile, random) + extra, lost };
}

function sampleJitter(profile: LinkProfile, random: UniformRandom): number {
  const jitterMs = profile.jitterMs ?? 0;
  if (jitterMs <= 0) return 0;
  const shape = profile.jitter ?? 'uniform';
  switch (shape) {
    case 'uniform':
      return random() * jitterMs;
    case 'heavy-tail':
      return heavyTail(jitterMs, random);
  }
}

function heavyTail(jitterMs: number, random: UniformRandom): number {
  // Lomax median is scale * (2^(1/shape) - 1); choose the scale that puts it at the target.
  const median = jitterMs * HEAVY_TAIL_MEDIAN_FRACTION;
  const scale = median / (2 ** (1 / HEAVY_TAIL_SHAPE) - 1);
  // 1 - random() lies in (0, 1], so the power never divides by zero.
  const sample = scale * ((1 - random()) ** (-1 / HEAVY_TAIL_SHAPE) - 1);
  return Math.min(sample, jitterMs * HEAVY_TAIL_CAP_FACTOR);
}

/**
 * The q-quantile (0 < q < 1) of the delays sampleDelay draws: the truth a benchmark's oracle
 * predicts with (q = 0.5: the median one-way delay). Lost chunks are taken to arrive after every
 * other one (a retransmission costs more than the bulk of the jitter), so below 1 - lossRate
 * the quantile is the unlost distribution's at q / (1 - lossRate).
 */
export function delayQuantile(profile: LinkProfile, q: number, retransmitMs: number): number {
  const loss = profile.lossRate ?? 0;
  const unlost = 1 - loss;
  if (q >= unlost) return profile.baseMs + jitterQuantile(profile, 1) + (profile.retransmitMs ?? retransmitMs);
  return profile.baseMs + jitterQuantile(profile, q / unlost);
}

function jitterQuantile(profile: LinkProfile, q: number): number {
  const jitterMs = profile.jitterMs ?? 0;
  if (jitterMs <= 0) return 0;
  if ((profile.jitter ?? 'uniform') === 'uniform') return q * jitterMs;
  const scale = (jitterMs * HEAVY_TAIL_MEDIAN_FRACTION) / (2 ** (1 / HEAVY_TAIL_SHAPE) - 1);
  const sample = q >= 1 ? Infinity : scale * ((1 - q) ** (-1 / HEAVY_TAIL_SHAPE) - 1);
  return Math.min(sample, jitterMs * HEAVY_TAIL_CAP_FACTOR);
}

/** What is wrong with a profile, one phrase per problem; empty when it describes a link. */
export function linkProfileProblems(profile: LinkProfile): string[] {
  const problems: string[] = [];
  const nonNegative = (name: string, value: number | undefined): void => {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) problems.push(`${name} must be >= 0`);
  };
  nonNegative('baseMs', profile.baseMs);
  nonNegative('jitterMs', profile.jitterMs);
  nonNegative('retransmitMs', profile.retransmitMs);
  const lossRate = profile.lossRate;
  if (lossRate !== undefined && !(lossRate >= 0 && lossRate <= 1)) problems.push('lossRate must be in [0, 1]');
  if (profile.jitter !== undefined && profile.jitter !== 'uniform' && profile.jitter !== 'heavy-tail') {
    problems.push(`unknown jitter shape ${String(profile.jitter)}`);
  }
  return problems;
}

const UINT32 = 0x1_0000_0000;

/** mulberry32: a tiny seeded PRNG (32-bit state), good enough for traffic shaping, repeatable run to run. */
export function mulberry32(seed: number): UniformRandom {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / UINT32;
  };
}

/**
 * Mixes several integers into one seed (an FNV-1a style fold), so each independent stream
 * (one per connection or agent, and direction) gets its own sequence that does not depend on
 * how the streams interleave in time.
 */
export function deriveSeed(...parts: readonly number[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    hash = Math.imul(hash ^ (part >>> 0), 0x01000193) >>> 0;
    hash = Math.imul(hash ^ (hash >>> 13), 0x5bd1e995) >>> 0;
  }
  return hash;
}
