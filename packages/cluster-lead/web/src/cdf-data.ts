/**
 * The arrival-error CDF of one operation, per release mode, as aligned columns for uPlot: one x
 * (error in ms, every error of any mode, sorted) and per mode the share of that mode's agents
 * READY at or before x. The share is of the agents sent in the mode, so a curve that stops short
 * of 100 % shows the ones that never got READY (stragglers, refusals, transit).
 */
export interface ModeCurve {
  readonly mode: string;
  /** Arrival errors drawn: one per READY agent of the mode. */
  readonly points: number;
  /** Agents sent in the mode (the result's `modes`), at least `points`. */
  readonly sent: number;
  /** Share READY at each x, 0..1. */
  readonly share: number[];
}

export interface CdfData {
  readonly x: number[];
  readonly curves: ModeCurve[];
}

export function cdfData(byMode: ReadonlyMap<string, readonly number[]>, sentByMode: Readonly<Record<string, number>> = {}): CdfData {
  const all = [...byMode.values()].flat();
  const lo = Math.min(0, ...all);
  const hi = Math.max(0, ...all);
  // A margin each side so every curve starts at 0 and ends flat at its last share.
  const pad = Math.max(1, (hi - lo) * 0.05);
  const x = [...new Set([lo - pad, ...all, hi + pad])].sort((a, b) => a - b);
  const curves = [...byMode.entries()].map(([mode, errors]): ModeCurve => {
    const sorted = [...errors].sort((a, b) => a - b);
    const sent = Math.max(sorted.length, sentByMode[mode] ?? 0, 1);
    let i = 0;
    const share = x.map((at) => {
      while (i < sorted.length && sorted[i]! <= at) i++;
      return i / sent;
    });
    return { mode, points: sorted.length, sent, share };
  });
  return { x, curves };
}
