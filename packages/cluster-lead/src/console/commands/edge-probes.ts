/**
 * The lead's probes of its Workers (class-A edge agents), for `mesh agents` and `mesh status`.
 * A Worker enters the registry only with its first good probe, so one that never answered
 * would otherwise be invisible: these helpers list it, with its last probe's result and age.
 */
import type { EdgeAgentJson } from '../../api/index.js';
import { expectOk } from '../api.js';
import type { CommandContext } from '../context.js';
import { ConsoleError } from '../exit-codes.js';
import { ago } from '../format.js';
import type { Style } from '../style.js';

export type EdgeProbeJson = NonNullable<EdgeAgentJson['probe']>;

/** The lead's Workers with their probe state; none when the lead has no edge tier (404). */
export async function fetchEdgeAgents(ctx: CommandContext): Promise<EdgeAgentJson[]> {
  const res = await ctx.client.get('/v1/edge-agents', { page_size: 1000 });
  if (res.status === 404) return [];
  const body = expectOk<{ edge_agents?: unknown }>(res, 'edge agents');
  if (!Array.isArray(body.edge_agents)) throw new ConsoleError('DOWN', "edge agents: the lead's answer is not a list of Workers (edge_agents)");
  return body.edge_agents as EdgeAgentJson[];
}

/** Answering: its last probe was good. A Worker not probed yet is not counted as failing. */
export const isFailing = (probe: EdgeProbeJson | undefined): boolean => probe?.ok === false;

/** One cell: "ok 3s ago, 42 ms", "failed 12s ago: <reason> (last ok 5m ago)", "not probed yet". */
export function probeCell(probe: EdgeProbeJson | undefined, now: number, style: Style): string {
  if (probe === undefined || probe.last_probe_at === null) return 'not probed yet';
  if (probe.ok === true) return style.ok(`ok ${ago(probe.last_probe_at, now)}${probe.rtt_ms === null ? '' : `, ${Math.round(probe.rtt_ms)} ms`}`);
  const lastOk = probe.last_ok_at === null ? 'never answered' : `last ok ${ago(probe.last_ok_at, now)}`;
  return style.bad(`failed ${ago(probe.last_probe_at, now)}: ${probe.last_error ?? 'no answer'} (${lastOk}; breaker ${probe.breaker})`);
}

/** Status lines for the Workers, and the degraded reasons they give; nothing without Workers. */
export function edgeSummary(edges: readonly EdgeAgentJson[], now: number, style: Style): { lines: string[]; reasons: string[] } {
  if (edges.length === 0) return { lines: [], reasons: [] };
  const failing = edges.filter((edge) => isFailing(edge.probe));
  const answering = edges.filter((edge) => edge.probe?.ok === true).length;
  const lines = [`Edge Workers: ${answering}/${edges.length} answering probes`, ...failing.map((edge) => `  ${edge.agent_id}: ${probeCell(edge.probe, now, style)}`)];
  return { lines, reasons: failing.map((edge) => `edge Worker ${edge.agent_id} not answering probes`) };
}
