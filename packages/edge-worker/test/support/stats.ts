/** Small summaries for the timing tests' annotations. */
export function summarize(values: readonly number[]): { n: number; min: number; p50: number; p90: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  return { n: sorted.length, min: sorted[0] ?? Number.NaN, p50: at(50), p90: at(90), max: sorted[sorted.length - 1] ?? Number.NaN };
}

export const fmt = (s: ReturnType<typeof summarize>): string =>
  `n=${s.n} min=${s.min.toFixed(3)} p50=${s.p50.toFixed(3)} p90=${s.p90.toFixed(3)} max=${s.max.toFixed(3)} ms`;
