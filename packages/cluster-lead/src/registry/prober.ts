/** The answer to a direct liveness probe (a signed PING answered by a signed PONG). */
export type ProbeResult = { ok: true; rttMs: number } | { ok: false; reason: string };

/** Probes one agent directly; resolves (never rejects) within its own timeout. */
export interface Prober {
  probe(agentId: string): Promise<ProbeResult>;
}
