/** `mesh conflicts`: the conflict log, newest first, filtered and paged. */
import { z } from 'zod';
import { expectOk } from '../api.js';
import { printJson, type Command } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { ago, table } from '../format.js';
import { check, intFlag } from '../options.js';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `2h`, `7d` (that long ago), an ISO date, or milliseconds since the epoch. */
export function parseTime(text: string, flag: string, now: number): number {
  const relative = /^(\d+)([smhd])$/.exec(text);
  if (relative !== null) return now - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  if (/^\d{10,16}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new ConsoleError('USAGE', `--${flag}: must be a duration ago (90s, 15m, 2h, 7d), an ISO date or epoch milliseconds`);
  return at;
}

type ConflictJson = Record<string, unknown>;
const field = (c: ConflictJson, ...names: string[]): unknown => names.map((n) => c[n]).find((v) => v !== undefined && v !== null);

export const conflictsCommand: Command = {
  name: 'conflicts',
  summary: 'recent conflicts from the conflict log',
  usage: 'conflicts [--since 1h] [--until T] [--agent ID] [--type TYPE] [--min-priority 0-5] [--page-size N] [--page-token T] [--all]',
  flags: {
    since: { type: 'string' },
    until: { type: 'string' },
    agent: { type: 'string' },
    type: { type: 'string' },
    'min-priority': { type: 'string' },
    'page-size': { type: 'string' },
    'page-token': { type: 'string' },
    all: { type: 'boolean' },
  },
  async run(ctx) {
    const v = ctx.args.values;
    const now = ctx.io.now();
    const query = {
      since: typeof v.since === 'string' ? parseTime(v.since, 'since', now) : undefined,
      until: typeof v.until === 'string' ? parseTime(v.until, 'until', now) : undefined,
      agent: typeof v.agent === 'string' ? check(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be an agent id'), v.agent, 'agent') : undefined,
      type: typeof v.type === 'string' ? v.type : undefined,
      min_priority: intFlag(v['min-priority'], 'min-priority', 0, 5),
      page_size: intFlag(v['page-size'], 'page-size', 1, 1000),
      page_token: typeof v['page-token'] === 'string' ? v['page-token'] : undefined,
    };
    const conflicts: ConflictJson[] = [];
    let next: string | undefined;
    do {
      const page = expectOk<{ conflicts: ConflictJson[]; next_page_token?: string }>(await ctx.client.get('/v1/conflicts', query), 'conflicts');
      conflicts.push(...page.conflicts);
      next = page.next_page_token;
      query.page_token = next;
    } while (v.all === true && next !== undefined);
    if (ctx.options.json) {
      printJson(ctx, { conflicts, ...(next === undefined ? {} : { next_page_token: next }) });
      return EXIT.OK;
    }
    if (conflicts.length === 0) {
      ctx.io.out('no conflicts\n');
      return EXIT.OK;
    }
    const text = (x: unknown) => (x === undefined || x === null ? '-' : typeof x === 'string' ? x : JSON.stringify(x));
    ctx.io.out(
      table(
        ['WHEN', 'AGENT', 'TYPE', 'PRIORITY', 'OPERATION'],
        conflicts.map((c) => {
          const at = field(c, 'detected_at', 'at', 'received_at', 'created_at');
          return [typeof at === 'number' ? ago(at, now) : '-', text(field(c, 'agent_id')), text(field(c, 'conflict_type', 'type')), text(field(c, 'priority')), text(field(c, 'operation_id'))];
        }),
      ),
    );
    if (next !== undefined) ctx.io.err(`more conflicts: add --page-token ${next} (or --all)\n`);
    return EXIT.OK;
  },
};
