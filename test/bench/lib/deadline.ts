// `npm run bench` kills a benchmark that overruns its share of the run; it says when in
// MESH_BENCH_DEADLINE (epoch ms) so the benchmark can stop starting work in time to write
// what it has, instead of being killed with nothing written.

/** Epoch ms after which the runner kills this process; Infinity when run on its own. */
export function benchDeadline(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.MESH_BENCH_DEADLINE);
  return Number.isFinite(value) && value > 0 ? value : Number.POSITIVE_INFINITY;
}

/** Milliseconds left before `deadline` minus a reserve for stopping and writing the report. */
export function msLeft(deadline: number, reserveMs: number, now = Date.now()): number {
  return deadline - reserveMs - now;
}
