/** `mesh agents` (filtered, paged list) and `mesh agent ID` (one agent in detail). */
import { z } from 'zod';
import { expectOk } from '../api.js';
import { printJson, type Command, type CommandContext } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { ago, table } from '../format.js';
import { check, intFlag } from '../options.js';
import type { Style } from '../style.js';
import { fetchEdgeAgents, probeCell } from './edge-probes.js';

export interface AgentJson {
  agent_id: string;
  agent_class: string;
  cluster_id: string;
  sector_id?: string | null;
  state: string;
  capabilities?: string[];
  last_heartbeat_at?: number | null;
  impedance?: { impedance_score?: number; current_context_hash?: string };
  clock?: { offset_ms: number } | null;
  outbox_depth?: number | null;
  frozen?: boolean;
  system_health?: SystemHealthJson;
  [key: string]: unknown;
}

interface SystemHealthJson {
  temperature_c: number | null;
  cpu_load_pct: number | null;
  memory_used_pct: number | null;
  disk_used_pct: number | null;
  uptime_s: number | null;
  ntp_synchronized: boolean | null;
  throttle: { raw: number; under_voltage_since_boot: boolean; throttled_since_boot: boolean; freq_capped_since_boot: boolean } | null;
  conditions: string[];
  degraded: boolean;
}

/** One cell: temperature and what is wrong now, e.g. "83°C hot,throttled"; "-" when the host reports nothing. */
function hardwareCell(system: SystemHealthJson | undefined, style: Style): string {
  if (system === undefined) return '-';
  const temperature = system.temperature_c === null ? '' : `${system.temperature_c.toFixed(0)}°C`;
  const conditions = system.conditions.join(',');
  const text = [temperature, conditions].filter((part) => part !== '').join(' ') || '-';
  return conditions === '' ? text : system.degraded ? style.warn(text) : text;
}

const pct = (value: number | null) => (value === null ? '-' : `${value.toFixed(0)}%`);

/** The detail lines of `mesh agent ID` for the Pi's health block. */
function hardwareRows(system: SystemHealthJson | undefined, style: Style): [string, string][] {
  if (system === undefined) return [];
  const since = system.throttle === null ? [] : (['under_voltage', 'throttled', 'freq_capped'] as const).filter((f) => system.throttle?.[`${f}_since_boot`] === true);
  return [
    ['hardware', system.conditions.length === 0 ? 'ok' : `${style.warn(system.conditions.join(', '))}${system.degraded ? ' (degraded)' : ''}`],
    ['temperature', system.temperature_c === null ? '-' : `${system.temperature_c.toFixed(1)} °C`],
    ['load / mem / disk', `${pct(system.cpu_load_pct)} / ${pct(system.memory_used_pct)} / ${pct(system.disk_used_pct)}`],
    ['throttle word', system.throttle === null ? '-' : `0x${system.throttle.raw.toString(16)}${since.length === 0 ? '' : ` (since boot: ${since.join(', ')})`}`],
    ['ntp synced', system.ntp_synchronized === null ? '-' : system.ntp_synchronized ? 'yes' : 'no'],
  ];
}

interface AgentPage {
  agents: AgentJson[];
  next_page_token?: string;
}

const State = z.enum(['active', 'degraded', 'offline', 'quarantined', 'retired'], { error: 'must be active, degraded, offline, quarantined or retired' });
const AgentClass = z.enum(['A', 'B', 'C', 'D', 'E', 'F'], { error: 'must be a class letter A-F' });
const Id = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be an id (letters, digits, _ . : -)');

function colourState(state: string, style: Style): string {
  if (state === 'active') return style.ok(state);
  if (state === 'degraded') return style.warn(state);
  return style.bad(state);
}

const str = (ctx: CommandContext, name: string) => ctx.args.values[name] as string | undefined;

export const agentsCommand: Command = {
  name: 'agents',
  summary: 'list agents, filtered and paged',
  usage: 'agents [--state S] [--class C] [--capability NAME] [--cluster ID] [--page-size N] [--page-token T] [--all]',
  flags: {
    state: { type: 'string' },
    class: { type: 'string' },
    capability: { type: 'string' },
    cluster: { type: 'string' },
    'page-size': { type: 'string' },
    'page-token': { type: 'string' },
    all: { type: 'boolean' },
  },
  async run(ctx) {
    const query = {
      state: str(ctx, 'state') === undefined ? undefined : check(State, str(ctx, 'state'), 'state'),
      class: str(ctx, 'class') === undefined ? undefined : check(AgentClass, str(ctx, 'class')?.toUpperCase(), 'class'),
      capability: str(ctx, 'capability'),
      cluster: str(ctx, 'cluster') === undefined ? undefined : check(Id, str(ctx, 'cluster'), 'cluster'),
      // --all takes the largest pages, so a big fleet costs few requests against the rate limit.
      page_size: intFlag(str(ctx, 'page-size'), 'page-size', 1, 1000) ?? (ctx.args.values.all === true ? 1000 : undefined),
      page_token: str(ctx, 'page-token'),
    };
    const agents: AgentJson[] = [];
    let next: string | undefined;
    do {
      const page = expectOk<AgentPage>(await ctx.client.get('/v1/agents', query), 'agents');
      agents.push(...page.agents);
      next = page.next_page_token;
      query.page_token = next;
    } while (ctx.args.values.all === true && next !== undefined);
    // Workers: their probe state beside them; one that never answered a probe is in no
    // registry page, so it is listed after the last page (when the filters could match it).
    const edges = await fetchEdgeAgents(ctx);
    const probes = new Map(edges.map((edge) => [edge.agent_id, edge.probe]));
    const listed = new Set(agents.map((a) => a.agent_id));
    const unregistered =
      next !== undefined || query.state !== undefined || (query.class !== undefined && query.class !== 'A')
        ? []
        : edges.filter((e) => !listed.has(e.agent_id) && (query.capability === undefined || e.capabilities.includes(query.capability)) && (query.cluster === undefined || e.cluster_id === query.cluster));
    if (ctx.options.json) {
      const withProbes = agents.map((a) => (probes.get(a.agent_id) === undefined ? a : { ...a, probe: probes.get(a.agent_id) }));
      printJson(ctx, { agents: withProbes, ...(unregistered.length === 0 ? {} : { unregistered_edge_agents: unregistered }), ...(next === undefined ? {} : { next_page_token: next }) });
      return EXIT.OK;
    }
    const now = ctx.io.now();
    const probeColumn = edges.length === 0 ? [] : ['EDGE PROBE'];
    ctx.io.out(
      table(
        ['AGENT', 'CLASS', 'CLUSTER', 'STATE', 'IMPEDANCE', 'HARDWARE', 'LAST HEARTBEAT', ...probeColumn],
        [
          ...agents.map((a) => [
            a.agent_id,
            a.agent_class,
            a.cluster_id,
            colourState(a.state, ctx.style),
            a.impedance?.impedance_score?.toFixed(0) ?? '-',
            hardwareCell(a.system_health, ctx.style),
            ago(a.last_heartbeat_at, now),
            ...(edges.length === 0 ? [] : [probes.has(a.agent_id) ? probeCell(probes.get(a.agent_id), now, ctx.style) : '-']),
          ]),
          // Never registered: no state of its own yet, only its probes.
          ...unregistered.map((e) => [e.agent_id, e.class, e.cluster_id, ctx.style.bad('unregistered'), '-', '-', 'never', probeCell(e.probe, now, ctx.style)]),
        ],
      ),
    );
    if (next !== undefined) ctx.io.err(`more agents: add --page-token ${next} (or --all)\n`);
    return EXIT.OK;
  },
};

const ACTIONS = ['quarantine', 'recover', 'retire'] as const;

/** `mesh agent ID --quarantine|--recover|--retire [--reason TEXT]`. */
async function act(ctx: CommandContext, id: string, action: (typeof ACTIONS)[number]): Promise<number> {
  const reason = str(ctx, 'reason');
  const body = reason === undefined ? {} : { reason: check(z.string().min(1).max(256, 'must be at most 256 characters'), reason, 'reason') };
  const done = expectOk<{ agent_id: string; action: string; state: string }>(
    await ctx.client.post(`/v1/agents/${encodeURIComponent(id)}/${action}`, body, ctx.idempotencyKey()),
    `${action} ${id}`,
  );
  if (ctx.options.json) printJson(ctx, done);
  else ctx.io.out(`agent ${done.agent_id}: ${done.action} done, now ${colourState(done.state, ctx.style)}\n`);
  return EXIT.OK;
}

export const agentCommand: Command = {
  name: 'agent',
  summary: 'one agent in detail; --quarantine, --recover or --retire it',
  usage: 'agent ID [--quarantine | --recover | --retire] [--reason TEXT]',
  flags: { quarantine: { type: 'boolean' }, recover: { type: 'boolean' }, retire: { type: 'boolean' }, reason: { type: 'string' } },
  async run(ctx) {
    const [id, ...extra] = ctx.args.positionals;
    if (id === undefined || extra.length > 0) throw new ConsoleError('USAGE', 'agent: give exactly one agent id');
    const actions = ACTIONS.filter((a) => ctx.args.values[a] === true);
    if (actions.length > 1) throw new ConsoleError('USAGE', `--${actions[1]}: give only one of --quarantine, --recover, --retire`);
    if (actions[0] !== undefined) return act(ctx, check(Id, id, 'agent id'), actions[0]);
    const agent = expectOk<AgentJson>(await ctx.client.get(`/v1/agents/${encodeURIComponent(check(Id, id, 'agent id'))}`), `agent ${id}`);
    if (ctx.options.json) {
      printJson(ctx, agent);
      return EXIT.OK;
    }
    const now = ctx.io.now();
    const rows: [string, string][] = [
      ['agent', agent.agent_id],
      ['state', `${colourState(agent.state, ctx.style)}${agent.frozen === true ? ' (frozen)' : ''}`],
      ['class', agent.agent_class],
      ['cluster', `${agent.cluster_id}${agent.sector_id ? ` (sector ${agent.sector_id})` : ''}`],
      ['capabilities', agent.capabilities?.join(', ') || '-'],
      ['last heartbeat', ago(agent.last_heartbeat_at, now)],
      ['impedance', agent.impedance?.impedance_score?.toFixed(1) ?? '-'],
      ['context hash', agent.impedance?.current_context_hash ?? '-'],
      ['clock offset', agent.clock ? `${agent.clock.offset_ms.toFixed(1)} ms` : 'unknown'],
      ['outbox', agent.outbox_depth === null || agent.outbox_depth === undefined ? '-' : String(agent.outbox_depth)],
      ...hardwareRows(agent.system_health, ctx.style),
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    ctx.io.out(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n');
    return EXIT.OK;
  },
};
