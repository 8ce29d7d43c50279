/** `mesh ask QUESTION`: ask a sample of agents and show their answers grouped, most common first. */
import { z } from 'zod';
import { expectOk } from '../api.js';
import { printJson, type Command, type CommandContext } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { number } from '../format.js';
import { WAIT_FLAGS, failureLine, pendingLine, phaseOf, submitAndFollow } from '../jobs.js';
import { check, intFlag } from '../options.js';
import type { AgentJson } from './agents.js';
import type { ScatterCounts } from './broadcast.js';
import { SELECTOR_FLAGS, selectorFrom, textArgument, type Selector } from './selector.js';

export interface AnswerGroup {
  answer: unknown;
  agents: string[];
  count: number;
}

const MAX_ANSWER_CHARS = 60;
/** The most agents one sampling page can draw from (the API's page_size limit). */
const SAMPLE_POOL = 1000;

function answerText(answer: unknown): string {
  const text = typeof answer === 'string' ? answer : JSON.stringify(answer);
  return text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS)}...` : text;
}

const agentsWord = (n: number) => `${number(n)} ${n === 1 ? 'agent' : 'agents'}`;

/** The spec's rendering: "10 responses:" then one "- N agents: answer" line per group. */
export function formatAnswers(groups: readonly AnswerGroup[], conflicts: number): string {
  const total = groups.reduce((sum, g) => sum + g.count, 0) + conflicts;
  const lines = [`${number(total)} ${total === 1 ? 'response' : 'responses'}:`];
  for (const g of [...groups].sort((a, b) => b.count - a.count)) lines.push(`- ${agentsWord(g.count)}: ${answerText(g.answer)}`);
  if (conflicts > 0) lines.push(`- ${agentsWord(conflicts)}: CONFLICT (context divergence detected)`);
  return `${lines.join('\n')}\n`;
}

/**
 * The selector has no sampling, so the console samples: one page of active agents matching
 * the filters, then `size` of them drawn at random.
 */
async function sampleSelector(ctx: CommandContext, selector: Selector, size: number): Promise<Selector> {
  const page = expectOk<{ agents: AgentJson[] }>(
    await ctx.client.get('/v1/agents', { state: 'active', class: selector.agent_class, capability: selector.capability, cluster: selector.cluster_id, page_size: SAMPLE_POOL }),
    'sampling agents',
  );
  const pool = page.agents.map((a) => a.agent_id).filter((id) => selector.agent_ids === undefined || selector.agent_ids.includes(id));
  if (pool.length === 0) throw new ConsoleError('REFUSED', 'ask: no active agent matches the filters');
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(ctx.io.random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return { agent_ids: pool.slice(0, size) };
}

export const askCommand: Command = {
  name: 'ask',
  summary: 'ask a sample of agents a question; answers grouped',
  usage: 'ask QUESTION [--sample N] [--verb VERB] [--cluster ID] [--sector ID] [--class C] [--capability NAME] [--agents ID,...] [--wait S | --no-wait]',
  flags: { ...SELECTOR_FLAGS, ...WAIT_FLAGS, sample: { type: 'string' }, verb: { type: 'string' } },
  async run(ctx) {
    const question = textArgument(ctx, 'question');
    const v = ctx.args.values;
    const sample = intFlag(v.sample, 'sample', 1, SAMPLE_POOL);
    let selector = selectorFrom(ctx);
    if (sample !== undefined) selector = await sampleSelector(ctx, selector, sample);
    const body = {
      kind: 'ask',
      payload: { question },
      selector,
      ...(typeof v.verb === 'string' ? { verb: check(z.enum(['observe', 'orient', 'decide', 'act', 'record', 'sync']), v.verb, 'verb') } : {}),
    };
    const { job, finished } = await submitAndFollow(ctx, '/v1/operations', body, 'ask');
    if (ctx.options.json) printJson(ctx, job);
    if (!finished) {
      if (!ctx.options.json) ctx.io.out(pendingLine(job));
      return EXIT.OK;
    }
    if (phaseOf(job.state) === 'failed') {
      if (!ctx.options.json) ctx.io.err(failureLine(job));
      return EXIT.DEGRADED;
    }
    const result = (job.result ?? {}) as { answers?: AnswerGroup[]; counts?: ScatterCounts };
    if (!ctx.options.json) ctx.io.out(formatAnswers(result.answers ?? [], result.counts?.conflicts ?? 0));
    return EXIT.OK;
  },
};
