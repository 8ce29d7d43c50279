// Reading a lead's /metrics page (Prometheus text) in the benchmarks.

/** Values of one metric family, keyed by the label value (`''` without labels). */
export function metricValues(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  const pattern = new RegExp(`^${name}(?:\\{[a-z_]+="([^"]*)"[^}]*\\})? (\\S+)$`, 'gm');
  for (const m of text.matchAll(pattern)) out[m[1] ?? ''] = Number(m[2]);
  return out;
}
