/** `mesh dead-letters [list | replay ID | drop ID]`: the lead's undeliverable sends. */
import { z } from 'zod';
import { expectOk } from '../api.js';
import { printJson, type Command, type CommandContext } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { ago, table } from '../format.js';
import { check, intFlag } from '../options.js';

interface DeadLetterJson {
  id: number;
  created_at: number;
  kind: string;
  operation_id: string | null;
  agent_id: string | null;
  reason: string;
  attempts: number;
}

const LetterId = z.string().regex(/^[1-9]\d{0,15}$/, 'must be a dead letter id (a positive whole number)');

async function list(ctx: CommandContext): Promise<number> {
  const v = ctx.args.values;
  const query = {
    kind: typeof v.kind === 'string' ? check(z.string().min(1).max(64), v.kind, 'kind') : undefined,
    page_size: intFlag(v['page-size'], 'page-size', 1, 1000),
    page_token: typeof v['page-token'] === 'string' ? v['page-token'] : undefined,
  };
  const letters: DeadLetterJson[] = [];
  let next: string | undefined;
  do {
    const page = expectOk<{ dead_letters: DeadLetterJson[]; next_page_token?: string }>(await ctx.client.get('/v1/dead-letters', query), 'dead-letters');
    letters.push(...page.dead_letters);
    next = page.next_page_token;
    query.page_token = next;
  } while (v.all === true && next !== undefined);
  if (ctx.options.json) {
    printJson(ctx, { dead_letters: letters, ...(next === undefined ? {} : { next_page_token: next }) });
    return EXIT.OK;
  }
  if (letters.length === 0) {
    ctx.io.out('no dead letters\n');
    return EXIT.OK;
  }
  const now = ctx.io.now();
  ctx.io.out(
    table(
      ['ID', 'WHEN', 'KIND', 'OPERATION', 'AGENT', 'ATTEMPTS', 'REASON'],
      letters.map((l) => [String(l.id), ago(l.created_at, now), l.kind, l.operation_id ?? '-', l.agent_id ?? '-', String(l.attempts), l.reason]),
    ),
  );
  if (next !== undefined) ctx.io.err(`more dead letters: add --page-token ${next} (or --all)\n`);
  return EXIT.OK;
}

async function replay(ctx: CommandContext, id: string): Promise<number> {
  const done = expectOk<{ id: number; detail: string; started_as?: string }>(await ctx.client.post(`/v1/dead-letters/${id}/replay`, undefined, ctx.idempotencyKey()), `replay ${id}`);
  if (ctx.options.json) printJson(ctx, done);
  else ctx.io.out(`dead letter ${done.id} replayed: ${done.detail}\n`);
  return EXIT.OK;
}

async function drop(ctx: CommandContext, id: string): Promise<number> {
  expectOk(await ctx.client.request('DELETE', `/v1/dead-letters/${id}`), `drop ${id}`);
  if (ctx.options.json) printJson(ctx, { id: Number(id), dropped: true });
  else ctx.io.out(`dead letter ${id} dropped\n`);
  return EXIT.OK;
}

export const deadLettersCommand: Command = {
  name: 'dead-letters',
  summary: 'sends the lead gave up on: list them, replay one or drop one',
  usage: 'dead-letters [list] [--kind KIND] [--page-size N] [--page-token T] [--all] | dead-letters replay ID | dead-letters drop ID',
  flags: { kind: { type: 'string' }, 'page-size': { type: 'string' }, 'page-token': { type: 'string' }, all: { type: 'boolean' } },
  async run(ctx) {
    const [action = 'list', id, ...extra] = ctx.args.positionals;
    if (extra.length > 0) throw new ConsoleError('USAGE', `dead-letters: unexpected ${extra.join(' ')}`);
    switch (action) {
      case 'list':
        if (id !== undefined) throw new ConsoleError('USAGE', 'dead-letters list: takes no id (use replay ID or drop ID)');
        return list(ctx);
      case 'replay':
      case 'drop': {
        if (id === undefined) throw new ConsoleError('USAGE', `dead-letters ${action}: give the dead letter id`);
        const checked = check(LetterId, id, 'id');
        return action === 'replay' ? replay(ctx, checked) : drop(ctx, checked);
      }
      default:
        throw new ConsoleError('USAGE', `dead-letters: unknown action "${action}" (list, replay or drop)`);
    }
  },
};
