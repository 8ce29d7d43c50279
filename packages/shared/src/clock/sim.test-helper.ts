// Test-only: a simulated agent clock and heartbeat exchanges over a link with known delays.
// Not exported from index.ts; lives here so that the clock tests share one simulation.
import type { ExchangeTimestamps } from './offset.js';

/** Agent clock = true time * (1 + driftPpm * 1e-6) + skewMs. The lead's clock is true time. */
export interface SimClock {
  skewMs: number;
  driftPpm: number;
}

export function agentTime(trueMs: number, clock: SimClock): number {
  return trueMs * (1 + clock.driftPpm * 1e-6) + clock.skewMs;
}

/** True lead-minus-agent offset at a true instant. */
export function trueOffset(trueMs: number, clock: SimClock): number {
  return trueMs - agentTime(trueMs, clock);
}

export interface SimLeg {
  /** True time the request leaves the agent. */
  sendTrueMs: number;
  forwardMs: number;
  holdMs: number;
  backMs: number;
}

export function simulateExchange(leg: SimLeg, clock: SimClock): ExchangeTimestamps {
  const t2 = leg.sendTrueMs + leg.forwardMs;
  const t3 = t2 + leg.holdMs;
  return {
    t1: agentTime(leg.sendTrueMs, clock),
    t2,
    t3,
    t4: agentTime(t3 + leg.backMs, clock),
  };
}

/** Small deterministic PRNG (mulberry32) so a failing simulation replays exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
