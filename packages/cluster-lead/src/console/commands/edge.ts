/** `mesh edge add URL --enrollment FILE`: register a Worker the mesh root enrolled; `mesh edge list`. */
import { readFile } from 'node:fs/promises';
import type { EdgeAgentJson } from '../../api/index.js';
import { expectOk } from '../api.js';
import { printJson, type Command } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';

export const edgeCommand: Command = {
  name: 'edge',
  summary: 'Workers this lead dials: add one by its root-signed enrollment, or list them',
  usage: 'edge add URL --enrollment FILE | edge list',
  flags: { enrollment: { type: 'string' } },
  async run(ctx) {
    const [verb, url, extra] = ctx.args.positionals;
    if (extra !== undefined) throw new ConsoleError('USAGE', `edge: unexpected argument "${extra}"`);
    if (verb === 'list' || verb === undefined) {
      const body = expectOk<{ edge_agents: EdgeAgentJson[] }>(await ctx.client.get('/v1/edge-agents?page_size=1000'), 'edge agents');
      if (ctx.options.json) printJson(ctx, body);
      else ctx.io.out(body.edge_agents.length === 0 ? 'no Workers registered\n' : `${body.edge_agents.map((a) => `${a.agent_id}  ${a.url}  ${a.cluster_id}  ${a.capabilities.join(',')}`).join('\n')}\n`);
      return EXIT.OK;
    }
    if (verb !== 'add') throw new ConsoleError('USAGE', 'edge: say add or list');
    if (url === undefined) throw new ConsoleError('USAGE', 'edge add: give the Worker\'s URL');
    const file = ctx.args.values.enrollment;
    if (typeof file !== 'string') throw new ConsoleError('USAGE', '--enrollment: required (the Worker\'s enrollment, from mesh-lead enroll)');
    let enrollment: unknown;
    try {
      enrollment = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new ConsoleError('USAGE', `--enrollment: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const added = expectOk<EdgeAgentJson & { replaced: boolean }>(await ctx.client.post('/v1/edge-agents', { url, enrollment }, ctx.idempotencyKey()), 'edge add');
    if (ctx.options.json) printJson(ctx, added);
    else ctx.io.out(`${added.agent_id} ${added.replaced ? 'registered again' : 'registered'} at ${added.url}: the lead probes it every heartbeat interval (mesh agent ${added.agent_id})\n`);
    return EXIT.OK;
  },
};
