/** `mesh breakers`: circuit breakers and their states; `--force ID=open|closed|auto` to override one. */
import { z } from 'zod';
import { expectOk } from '../api.js';
import { printJson, type Command } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { check } from '../options.js';
import { ago, table } from '../format.js';

interface BreakerJson {
  scope: string;
  target_id: string;
  state: string;
  failures_in_window: number;
  opened_at: number | null;
  next_check_at: number | null;
  metrics_only?: boolean;
}

const Force = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}=(open|closed|auto)$/, 'must be ID=open, ID=closed or ID=auto');

export const breakersCommand: Command = {
  name: 'breakers',
  summary: 'circuit breakers; exit 1 when any is open',
  usage: 'breakers [--force ID=open|closed|auto [--scope cluster|sector|global] [--reason TEXT]]',
  flags: { force: { type: 'string' }, scope: { type: 'string' }, reason: { type: 'string' } },
  async run(ctx) {
    if (typeof ctx.args.values.force === 'string') {
      const parsed = Force.safeParse(ctx.args.values.force);
      if (!parsed.success) throw new ConsoleError('USAGE', `--force: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      const [id, state] = parsed.data.split('=') as [string, string];
      const v = ctx.args.values;
      const body = {
        state,
        ...(v.scope === undefined ? {} : { scope: check(z.enum(['cluster', 'sector', 'global'], { error: 'must be cluster, sector or global' }), v.scope, 'scope') }),
        ...(v.reason === undefined ? {} : { reason: check(z.string().min(1).max(256, 'must be at most 256 characters'), v.reason, 'reason') }),
      };
      const breaker = expectOk<BreakerJson>(await ctx.client.post(`/v1/breakers/${encodeURIComponent(id)}/force`, body, ctx.idempotencyKey()), `force breaker ${id}`);
      if (ctx.options.json) printJson(ctx, breaker);
      else ctx.io.out(`breaker ${breaker.scope} ${breaker.target_id}: ${breaker.state}\n`);
      return EXIT.OK;
    }
    const { breakers } = expectOk<{ breakers: BreakerJson[] }>(await ctx.client.get('/v1/breakers'), 'breakers');
    const open = breakers.filter((b) => b.state.toUpperCase() !== 'CLOSED');
    if (ctx.options.json) printJson(ctx, { breakers });
    else if (breakers.length === 0) ctx.io.out('no breakers\n');
    else {
      const now = ctx.io.now();
      const colour = (s: string) => (s.toUpperCase() === 'CLOSED' ? ctx.style.ok(s) : s.toUpperCase() === 'OPEN' ? ctx.style.bad(s) : ctx.style.warn(s));
      ctx.io.out(
        table(
          ['SCOPE', 'TARGET', 'STATE', 'FAILURES', 'OPENED', 'NEXT CHECK'],
          breakers.map((b) => [b.scope, b.target_id, `${colour(b.state)}${b.metrics_only === true ? ' (metrics only)' : ''}`, String(b.failures_in_window), b.opened_at === null ? '-' : ago(b.opened_at, now), b.next_check_at === null ? '-' : `in ${Math.max(0, Math.round((b.next_check_at - now) / 1000))}s`]),
        ),
      );
    }
    return open.length === 0 ? EXIT.OK : EXIT.DEGRADED;
  },
};
