/** `mesh status`: the spec's status box, with an exit status a monitor can act on. */
import { z } from 'zod';
import type { MeshStatusBox } from '../../api/response-schemas.js';
import { expectOk } from '../api.js';
import { printJson, type Command } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { ago, box, number, percent } from '../format.js';
import type { Style } from '../style.js';
import { edgeSummary, fetchEdgeAgents } from './edge-probes.js';

/** The status box as GET /v1/status answers it (the API's own schema, so the two cannot drift). */
export type MeshSummary = MeshStatusBox;

export interface StatusBody {
  lead_id?: string;
  cluster_id?: string;
  nats?: { connected: boolean };
  mesh: MeshSummary;
}

const count = z.number().int().min(0);
/** Only what the console reads is checked; the rest passes through to --json untouched. */
const StatusShape = z.looseObject({
  mesh: z.looseObject({
    agents_active: count,
    agents_total: count,
    sectors_healthy: count,
    sectors_total: count,
    mean_impedance: z.number().nullable(),
    conflicts_last_hour: count,
    mode: z.string(),
    frozen: z.boolean(),
    last_cascade: z.looseObject({ at: z.number(), status: z.string() }).nullable(),
  }),
});

/** A lead that answers something else (an old version, a proxy's page) is as good as down. */
function checkedStatus(body: unknown): StatusBody {
  const parsed = StatusShape.safeParse(body);
  if (parsed.success) return body as StatusBody;
  const issue = parsed.error.issues[0];
  throw new ConsoleError('DOWN', `status: the lead's answer is not a mesh status (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`);
}

/** Why the mesh counts as degraded; empty when healthy. */
export function degradedReasons(status: StatusBody): string[] {
  const m = status.mesh;
  const reasons: string[] = [];
  if (m.mode !== 'FULL') reasons.push(`mode ${m.mode}`);
  if (m.frozen) reasons.push('frozen');
  if (m.sectors_healthy < m.sectors_total) reasons.push(`${m.sectors_total - m.sectors_healthy} sector(s) unhealthy`);
  if (status.nats?.connected === false) reasons.push('lead not connected to NATS');
  return reasons;
}

export function statusBox(status: StatusBody, now: number, style: Style): string {
  const m = status.mesh;
  const cascade = m.last_cascade === null ? 'never' : `${ago(m.last_cascade.at, now)} (${m.last_cascade.status})`;
  const mode = m.mode === 'FULL' ? style.ok(m.mode) : style.warn(m.mode);
  return box('MESH-30K STATUS', [
    `Agents: ${number(m.agents_active)} / ${number(m.agents_total)} active (${percent(m.agents_active, m.agents_total)})`,
    `Sectors: ${m.sectors_healthy}/${m.sectors_total} healthy`,
    `Mean Impedance: ${m.mean_impedance === null ? 'n/a' : `${Math.round(m.mean_impedance)}ms`}`,
    `Conflicts (last hour): ${number(m.conflicts_last_hour)}`,
    `Mode: ${mode}${m.frozen ? ` ${style.bad('FROZEN')}` : ''}`,
    `Last cascade: ${cascade}`,
  ]);
}

/** One line for `--oneline` (the fleet script). */
export function statusLine(status: StatusBody, reasons: readonly string[]): string {
  const m = status.mesh;
  const state = reasons.length === 0 ? 'OK' : `DEGRADED (${reasons.join(', ')})`;
  return `${state} lead ${status.lead_id ?? '?'}: ${m.agents_active}/${m.agents_total} agents active, mode ${m.mode}${m.frozen ? ' FROZEN' : ''}, ${m.conflicts_last_hour} conflicts/h\n`;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'the mesh at a glance; exit 0 healthy, 1 degraded, 2 down',
  usage: 'status [--oneline] [--json]',
  flags: { oneline: { type: 'boolean' } },
  async run(ctx) {
    const status = checkedStatus(expectOk<unknown>(await ctx.client.get('/v1/status'), 'status'));
    const edges = await fetchEdgeAgents(ctx);
    const edge = edgeSummary(edges, ctx.io.now(), ctx.style);
    const reasons = [...degradedReasons(status), ...edge.reasons];
    const code = reasons.length === 0 ? EXIT.OK : EXIT.DEGRADED;
    if (ctx.options.json) {
      const probes = edges.length === 0 ? {} : { edge_agents: edges.map((e) => ({ agent_id: e.agent_id, url: e.url, probe: e.probe ?? null })) };
      printJson(ctx, { healthy: code === EXIT.OK, degraded_reasons: reasons, ...status, ...probes });
    } else if (ctx.args.values.oneline === true) ctx.io.out(statusLine(status, reasons));
    else {
      ctx.io.out(statusBox(status, ctx.io.now(), ctx.style));
      if (edge.lines.length > 0) ctx.io.out(`${edge.lines.join('\n')}\n`);
      if (reasons.length > 0) ctx.io.out(`${ctx.style.warn('Degraded')}: ${reasons.join('; ')}\n`);
    }
    return code;
  },
};
