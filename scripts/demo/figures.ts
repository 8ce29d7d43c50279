// One cascade's arrival error as the demo shows it: the leads' own figures (their conversion
// of each ready time) and, for the simulated agents, the true error on the real clock.
import { summarize, type CascadeView } from '../../test/harness/index.js';

export type ReleaseMode = 'hold' | 'lead' | 'none';

export interface ErrorFigures {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Share with |error| inside the window; null when nothing was ready. */
  hitRate: number | null;
  /** Largest minus smallest signed error: how far apart the agents became ready. */
  spread: number | null;
  /** Mean signed error: above 0, agents were late on average. */
  bias: number | null;
  /** p99 of |offset error| at the releases (agent's mesh time minus true time); null where unknown (the leads' figures). */
  offsetP99?: number | null;
}

export interface ModeFigures {
  mode: ReleaseMode;
  cascadeId: string;
  status: string;
  /** Real time the cascade was decided. */
  decidedAt: number;
  ready: number;
  sent: number;
  /** The cascade's other non-zero counts (skipped, stragglers, refused...), e.g. "skipped 3". */
  others: string;
  windowMs: number;
  /** |error| as the leads report it (merged sketches of every child). */
  leads: ErrorFigures | null;
  /** |error| on the real clock, simulated agents only; null when no ACK was seen. */
  truth: ErrorFigures | null;
}

export function trueFigures(errors: readonly number[], windowMs: number, offsetErrors: readonly number[] = []): ErrorFigures | null {
  if (errors.length === 0) return null;
  const abs = summarize(errors.map(Math.abs));
  return {
    offsetP99: offsetErrors.length === 0 ? null : summarize(offsetErrors.map(Math.abs)).p99,
    count: abs.count,
    p50: abs.p50,
    p90: abs.p90,
    p99: abs.p99,
    max: abs.max,
    hitRate: errors.filter((e) => Math.abs(e) <= windowMs).length / errors.length,
    spread: Math.max(...errors) - Math.min(...errors),
    bias: errors.reduce((sum, e) => sum + e, 0) / errors.length,
  };
}

export function leadFigures(view: CascadeView): ErrorFigures | null {
  const arrival = view.result?.arrival;
  if (arrival?.abs == null) return null;
  return {
    count: arrival.count,
    ...arrival.abs,
    hitRate: arrival.hit_rate,
    spread: arrival.signed === null ? null : arrival.signed.max - arrival.signed.min,
    bias: arrival.signed?.mean ?? null,
  };
}
