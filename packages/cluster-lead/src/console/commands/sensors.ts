/**
 * `mesh sensors [AGENT]`: the latest reading of every sensor (of one agent, or of all), and
 * with `--history SENSOR` one sensor's readings, newest first, paged.
 */
import { z } from 'zod';
import { expectOk } from '../api.js';
import { printJson, type Command, type CommandContext } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { ago, table } from '../format.js';
import { check, intFlag } from '../options.js';

interface ReadingJson {
  agent_id: string;
  sensor_id: string;
  kind: string;
  value: unknown;
  unit?: string;
  error?: string;
  sampled_at: number;
  seq: number;
}

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id (letters, digits, _ -)');

function valueText(r: ReadingJson): string {
  if (r.error !== undefined) return `ERROR ${r.error}`;
  if (typeof r.value === 'boolean') return r.kind === 'gpio.output' ? (r.value ? 'on' : 'off') : r.value ? 'active' : 'inactive';
  return `${JSON.stringify(r.value)}${r.unit === undefined ? '' : ` ${r.unit}`}`;
}

function print(ctx: CommandContext, readings: readonly ReadingJson[], withAgent: boolean): void {
  const now = ctx.io.now();
  ctx.io.out(
    table(
      [...(withAgent ? ['AGENT'] : []), 'SENSOR', 'KIND', 'VALUE', 'SAMPLED', 'SEQ'],
      readings.map((r) => [...(withAgent ? [r.agent_id] : []), r.sensor_id, r.kind, r.error === undefined ? valueText(r) : ctx.style.bad(valueText(r)), ago(r.sampled_at, now), String(r.seq)]),
    ),
  );
}

export const sensorsCommand: Command = {
  name: 'sensors',
  summary: 'latest sensor readings (of one agent, or all); --history SENSOR for one sensor\'s readings',
  usage: 'sensors [AGENT] [--history SENSOR] [--page-size N] [--page-token T] [--all]',
  flags: { history: { type: 'string' }, 'page-size': { type: 'string' }, 'page-token': { type: 'string' }, all: { type: 'boolean' } },
  async run(ctx) {
    const [agentArg, ...extra] = ctx.args.positionals;
    if (extra.length > 0) throw new ConsoleError('USAGE', 'sensors: give at most one agent id');
    const agent = agentArg === undefined ? undefined : check(Id, agentArg, 'agent id');
    const v = ctx.args.values;
    const query: Record<string, string | number | undefined> = {
      page_size: intFlag(v['page-size'], 'page-size', 1, 1000),
      page_token: typeof v['page-token'] === 'string' ? v['page-token'] : undefined,
    };
    if (typeof v.history === 'string') {
      if (agent === undefined) throw new ConsoleError('USAGE', '--history: give the agent id first (mesh sensors AGENT --history SENSOR)');
      const sensor = check(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'must be a sensor id'), v.history, 'history');
      const readings: ReadingJson[] = [];
      let next: string | undefined;
      do {
        const page = expectOk<{ readings: ReadingJson[]; next_page_token?: string }>(await ctx.client.get(`/v1/agents/${encodeURIComponent(agent)}/sensors/${encodeURIComponent(sensor)}/history`, query), `history of ${agent}/${sensor}`);
        readings.push(...page.readings);
        next = page.next_page_token;
        query.page_token = next;
      } while (v.all === true && next !== undefined);
      if (ctx.options.json) printJson(ctx, { agent_id: agent, sensor_id: sensor, readings, ...(next === undefined ? {} : { next_page_token: next }) });
      else if (readings.length === 0) ctx.io.out(`no readings of ${agent}/${sensor}\n`);
      else print(ctx, readings, false);
      if (!ctx.options.json && next !== undefined) ctx.io.err(`more readings: add --page-token ${next} (or --all)\n`);
      return EXIT.OK;
    }
    if (agent !== undefined) {
      const body = expectOk<{ agent_id: string; sensors: ReadingJson[] }>(await ctx.client.get(`/v1/agents/${encodeURIComponent(agent)}/sensors`), `sensors of ${agent}`);
      if (ctx.options.json) printJson(ctx, body);
      else if (body.sensors.length === 0) ctx.io.out(`agent ${agent} has reported no sensor readings\n`);
      else print(ctx, body.sensors, false);
      return EXIT.OK;
    }
    const sensors: ReadingJson[] = [];
    let next: string | undefined;
    do {
      const page = expectOk<{ sensors: ReadingJson[]; next_page_token?: string }>(await ctx.client.get('/v1/sensors', query), 'sensors');
      sensors.push(...page.sensors);
      next = page.next_page_token;
      query.page_token = next;
    } while (v.all === true && next !== undefined);
    if (ctx.options.json) printJson(ctx, { sensors, ...(next === undefined ? {} : { next_page_token: next }) });
    else if (sensors.length === 0) ctx.io.out('no sensor readings\n');
    else print(ctx, sensors, true);
    if (!ctx.options.json && next !== undefined) ctx.io.err(`more sensors: add --page-token ${next} (or --all)\n`);
    return EXIT.OK;
  },
};
