/**
 * Arrival errors travel up the tree as a sketch: the error at 21 evenly spaced quantiles
 * (0 %, 5 %, ... 100 %), for the signed error and for its absolute value, with the count, the
 * hits inside the window and the sum. A report stays the same size whatever the subtree's
 * size, min, max and mean merge exactly, and percentiles merge by mixing the children's
 * distributions (each interpolated between its points), which is close for p50 and p90 and
 * exact at the extremes; p99 of a merge is as good as the children's 95-100 % segment.
 */
import { z } from 'zod';

export const SKETCH_POINTS = 21;

export const ArrivalSketch = z.object({
  /** READY agents measured. */
  count: z.number().int().min(0),
  /** Of those, inside the arrival window. */
  hits: z.number().int().min(0),
  /** Sum of the signed errors (exact mean on merge). */
  sum: z.number().finite(),
  /** Signed error (ready - T) at the quantile points; empty when count is 0. */
  signed: z.array(z.number().finite()).max(SKETCH_POINTS),
  /** |error| at the quantile points. */
  abs: z.array(z.number().finite().min(0)).max(SKETCH_POINTS),
});
export type ArrivalSketch = z.infer<typeof ArrivalSketch>;

export const EMPTY_SKETCH: ArrivalSketch = Object.freeze({ count: 0, hits: 0, sum: 0, signed: [], abs: [] });

/** The figures an operator reads: the project's headline distribution. */
export interface ArrivalFigures {
  readonly count: number;
  readonly hitRate: number | null;
  readonly abs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number } | null;
  readonly signed: { readonly min: number; readonly max: number; readonly mean: number } | null;
}

/** Quantile q (0..1) of sorted values, linear between neighbours. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (pos - lo);
}

const points = (sorted: readonly number[]): number[] =>
  Array.from({ length: SKETCH_POINTS }, (_, i) => quantileSorted(sorted, i / (SKETCH_POINTS - 1)));

export function sketchOf(errors: readonly number[], windowMs: number): ArrivalSketch {
  if (errors.length === 0) return EMPTY_SKETCH;
  const signed = [...errors].sort((a, b) => a - b);
  const abs = errors.map(Math.abs).sort((a, b) => a - b);
  return {
    count: errors.length,
    hits: abs.filter((e) => e <= windowMs).length,
    sum: errors.reduce((a, b) => a + b, 0),
    signed: points(signed),
    abs: points(abs),
  };
}

/** Share of one sketch's population at or below x, interpolated between its points. */
function cdf(pts: readonly number[], x: number): number {
  const n = pts.length;
  if (x < pts[0]!) return 0;
  if (x >= pts[n - 1]!) return 1;
  let i = 0;
  while (i + 1 < n && pts[i + 1]! <= x) i += 1;
  const a = pts[i]!;
  const b = pts[i + 1]!;
  return (i + (b > a ? (x - a) / (b - a) : 0)) / (n - 1);
}

/** Quantile q of the mixture of several sketched distributions weighted by their counts. */
function mixtureQuantile(parts: readonly { pts: readonly number[]; weight: number }[], q: number): number {
  const total = parts.reduce((a, p) => a + p.weight, 0);
  const mix = (x: number): number => parts.reduce((a, p) => a + p.weight * cdf(p.pts, x), 0) / total;
  const xs = [...new Set(parts.flatMap((p) => p.pts))].sort((a, b) => a - b);
  let prevX = xs[0]!;
  let prevF = 0;
  for (const x of xs) {
    const f = mix(x);
    if (f >= q) return f === prevF ? x : prevX + ((x - prevX) * (q - prevF)) / (f - prevF);
    prevX = x;
    prevF = f;
  }
  return xs[xs.length - 1]!;
}

export function mergeSketches(sketches: readonly ArrivalSketch[]): ArrivalSketch {
  const parts = sketches.filter((s) => s.count > 0 && s.signed.length > 0 && s.abs.length > 0);
  if (parts.length === 0) return EMPTY_SKETCH;
  if (parts.length === 1) return parts[0]!;
  const merged = (pick: (s: ArrivalSketch) => readonly number[]): number[] => {
    const weighted = parts.map((s) => ({ pts: pick(s), weight: s.count }));
    return Array.from({ length: SKETCH_POINTS }, (_, i) => {
      if (i === 0) return Math.min(...weighted.map((p) => p.pts[0]!));
      if (i === SKETCH_POINTS - 1) return Math.max(...weighted.map((p) => p.pts[p.pts.length - 1]!));
      return mixtureQuantile(weighted, i / (SKETCH_POINTS - 1));
    });
  };
  return {
    count: parts.reduce((a, s) => a + s.count, 0),
    hits: parts.reduce((a, s) => a + s.hits, 0),
    sum: parts.reduce((a, s) => a + s.sum, 0),
    signed: merged((s) => s.signed),
    abs: merged((s) => s.abs),
  };
}

/** p50/p90/p99/max of |error|, min/max/mean of the signed error, hit rate. */
export function figuresOf(sketch: ArrivalSketch): ArrivalFigures {
  if (sketch.count === 0 || sketch.abs.length === 0 || sketch.signed.length === 0) return { count: 0, hitRate: null, abs: null, signed: null };
  return {
    count: sketch.count,
    hitRate: sketch.hits / sketch.count,
    abs: {
      p50: quantileSorted(sketch.abs, 0.5),
      p90: quantileSorted(sketch.abs, 0.9),
      p99: quantileSorted(sketch.abs, 0.99),
      max: sketch.abs[sketch.abs.length - 1]!,
    },
    signed: { min: sketch.signed[0]!, max: sketch.signed[sketch.signed.length - 1]!, mean: sketch.sum / sketch.count },
  };
}
