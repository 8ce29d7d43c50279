/**
 * GET /health/deep sends a real signed probe to an agent, and /health/* needs no credentials.
 * So that anyone who can reach the port cannot make the lead sign a probe per request, one
 * result is shared for `ttlMs` and concurrent requests share the probe in flight.
 */
export type DeepProbeResult = { ok: true; agentId: string; rttMs: number } | { ok: false; detail: string };

export const DEFAULT_DEEP_HEALTH_CACHE_MS = 5_000;

export function cachedDeepProbe(probe: () => Promise<DeepProbeResult>, now: () => number, ttlMs: number): () => Promise<DeepProbeResult & { ageMs: number }> {
  let last: { at: number; result: DeepProbeResult } | undefined;
  let inFlight: Promise<DeepProbeResult> | undefined;
  return async () => {
    if (last !== undefined && now() - last.at < ttlMs) return { ...last.result, ageMs: now() - last.at };
    inFlight ??= probe().finally(() => {
      inFlight = undefined;
    });
    const result = await inFlight;
    if (last === undefined || now() - last.at >= ttlMs) last = { at: now(), result };
    return { ...last.result, ageMs: now() - last.at };
  };
}
