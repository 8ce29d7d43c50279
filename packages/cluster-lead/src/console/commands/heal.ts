/** `mesh heal [TARGET]`: recover quarantined agents and reset half-open breakers. */
import { z } from 'zod';
import { printJson, type Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { WAIT_FLAGS, failureLine, pendingLine, phaseOf, submitAndFollow } from '../jobs.js';
import { check } from '../options.js';

const Target = z.string().regex(/^(auto|[A-Za-z0-9_.:-]{1,64})$/, 'must be auto or a cluster or sector id');

interface HealResult {
  recovered?: string[];
  skipped?: { agent_id: string; reason: string }[];
  breakers_reset?: { scope: string; target_id: string }[];
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const healCommand: Command = {
  name: 'heal',
  summary: 'trigger recovery of a cluster, a sector, or whatever needs it (auto)',
  usage: 'heal [TARGET] [--wait S | --no-wait]',
  flags: { ...WAIT_FLAGS },
  async run(ctx) {
    const target = check(Target, ctx.args.positionals[0] ?? 'auto', 'target');
    const { job, finished } = await submitAndFollow(ctx, '/v1/heal', { target }, 'heal');
    if (ctx.options.json) printJson(ctx, job);
    if (!finished) {
      if (!ctx.options.json) ctx.io.out(pendingLine(job));
      return EXIT.OK;
    }
    if (phaseOf(job.state) === 'failed') {
      if (!ctx.options.json) ctx.io.err(failureLine(job));
      return EXIT.DEGRADED;
    }
    if (!ctx.options.json) {
      const r = (job.result ?? {}) as HealResult;
      const recovered = r.recovered ?? [];
      const skipped = r.skipped ?? [];
      const reset = (r.breakers_reset ?? []).map((b) => `${b.scope} ${b.target_id}`);
      const lines = [`Healing ${target}:`];
      lines.push(`- ${plural(recovered.length, 'agent', 'agents')} recovered${recovered.length > 0 ? ` (${recovered.join(', ')})` : ''}`);
      if (skipped.length > 0) lines.push(`- ${plural(skipped.length, 'agent', 'agents')} left alone (${skipped.map((k) => `${k.agent_id}: ${k.reason}`).join(', ')})`);
      lines.push(`- ${plural(reset.length, 'circuit breaker', 'circuit breakers')} reset${reset.length > 0 ? ` (${reset.join(', ')})` : ''}`);
      lines.push(`${target} heal complete`);
      ctx.io.out(`${lines.join('\n')}\n`);
    }
    return EXIT.OK;
  },
};
