/** `mesh freeze` and `mesh thaw`: halt or resume operations for a cluster, a sector or the mesh. */
import { z } from 'zod';
import { expectOk } from '../api.js';
import { printJson, type Command, type CommandContext } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { number } from '../format.js';
import { check } from '../options.js';

const Scope = z.enum(['cluster', 'sector', 'global'], { error: 'must be cluster, sector or global' });
const TargetId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be a cluster or sector id');
const Reason = z.string().max(256, 'must be at most 256 characters');

interface FreezeOutcome {
  action: string;
  scope: string;
  target_id: string | null;
  message_id: string;
  published: boolean;
  lead_frozen: boolean;
}

/** How many agents the lead counts active; undefined when it cannot say (the freeze stands either way). */
async function activeAgents(ctx: CommandContext): Promise<number | undefined> {
  try {
    const res = await ctx.client.get('/v1/status');
    const active = (res.body as { mesh?: { agents_active?: unknown } } | undefined)?.mesh?.agents_active;
    return res.status === 200 && typeof active === 'number' ? active : undefined;
  } catch {
    return undefined;
  }
}

function freezeCommand(action: 'freeze' | 'thaw'): Command {
  return {
    name: action,
    summary: action === 'freeze' ? 'halt mesh operations (emergency use)' : 'resume operations after a freeze',
    usage: `${action} [--scope global|cluster|sector] [--target ID] [--reason TEXT]`,
    flags: { scope: { type: 'string' }, target: { type: 'string' }, reason: { type: 'string' } },
    async run(ctx) {
      const v = ctx.args.values;
      const scope = check(Scope, v.scope ?? 'global', 'scope');
      const target = v.target === undefined ? undefined : check(TargetId, v.target, 'target');
      if (scope !== 'global' && target === undefined) throw new ConsoleError('USAGE', `--target: required with --scope ${scope}`);
      const body = { scope, ...(target === undefined ? {} : { target_id: target }), ...(v.reason === undefined ? {} : { reason: check(Reason, v.reason, 'reason') }) };
      const outcome = expectOk<FreezeOutcome>(await ctx.client.post(`/v1/${action}`, body, ctx.idempotencyKey()), action);
      // Not published: the agents were not told, only this lead changed.
      const code = outcome.published ? EXIT.OK : EXIT.DEGRADED;
      if (ctx.options.json) {
        printJson(ctx, outcome);
        return code;
      }
      const what = scope === 'global' ? 'MESH' : `${scope.toUpperCase()} ${target}`;
      const word = action === 'freeze' ? 'FROZEN' : 'THAWED';
      const lines = [ctx.style.bold(`${what} ${word}`)];
      const reached = outcome.published && scope === 'global' ? await activeAgents(ctx) : undefined;
      if (!outcome.published) lines.push(ctx.style.warn(`${action} NOT published to the agents (no NATS); this lead only`));
      else if (reached !== undefined) lines.push(`All ${number(reached)} active agents ${action === 'freeze' ? 'told to pause' : 'told to resume'} (message ${outcome.message_id})`);
      else lines.push(`${action} sent to the agents (message ${outcome.message_id})`);
      lines.push(`this lead: ${outcome.lead_frozen ? 'frozen' : 'running'}`);
      if (action === 'freeze') lines.push(`To resume: mesh thaw${scope === 'global' ? '' : ` --scope ${scope} --target ${target}`}`);
      ctx.io.out(`${lines.join('\n')}\n`);
      return code;
    },
  };
}

export const freezeCommandDef = freezeCommand('freeze');
export const thawCommandDef = freezeCommand('thaw');
