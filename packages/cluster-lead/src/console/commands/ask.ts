/** `mesh ask QUESTION`: the lead asks a sample of agents; answers shown grouped, most common first. */
import { z } from 'zod';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { number } from '../format.js';
import { WAIT_FLAGS, submitForResult } from '../jobs.js';
import { check, intFlag } from '../options.js';
import { Priority, textArgument } from './selector.js';

export interface AnswerGroup {
  answer: unknown;
  agents: string[];
  count: number;
}

const MAX_ANSWER_CHARS = 60;
/** The lead groups agents that reported a conflict under this answer. */
const CONFLICT = 'CONFLICT';

function answerText(answer: unknown): string {
  if (answer === CONFLICT) return 'CONFLICT (context divergence detected)';
  // An answer like {"context_hash": "a1b2..."} reads best as its one value; --json has it all.
  const values = typeof answer === 'object' && answer !== null ? Object.values(answer) : [];
  const single = values.length === 1 && (typeof values[0] === 'string' || typeof values[0] === 'number') ? values[0] : undefined;
  const text = single !== undefined ? String(single) : typeof answer === 'string' ? answer : answer === null ? '(no answer)' : JSON.stringify(answer);
  if (text === '') return '(empty)';
  return text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS)}...` : text;
}

const agentsWord = (n: number) => `${number(n)} ${n === 1 ? 'agent' : 'agents'}`;

/** The spec's rendering: "10 responses:" then one "- N agents: answer" line per group. */
export function formatAnswers(groups: readonly AnswerGroup[]): string {
  const total = groups.reduce((sum, g) => sum + g.count, 0);
  const lines = [`${number(total)} ${total === 1 ? 'response' : 'responses'}:`];
  for (const g of [...groups].sort((a, b) => b.count - a.count)) lines.push(`- ${agentsWord(g.count)}: ${answerText(g.answer)}`);
  return `${lines.join('\n')}\n`;
}

export const askCommand: Command = {
  name: 'ask',
  summary: 'ask a sample of agents a question; answers grouped',
  usage: 'ask QUESTION [--sample N] [--capability NAME] [--op-timeout S] [--priority 0-5] [--wait S | --no-wait]',
  flags: { ...WAIT_FLAGS, sample: { type: 'string' }, capability: { type: 'string' }, 'op-timeout': { type: 'string' }, priority: { type: 'string' } },
  async run(ctx) {
    const question = check(z.string().max(1024, 'must be at most 1,024 characters'), textArgument(ctx, 'question'), 'question');
    const v = ctx.args.values;
    const sample = intFlag(v.sample, 'sample', 1, 1000);
    const timeoutS = intFlag(v['op-timeout'], 'op-timeout', 1, 600);
    const body = {
      kind: 'ask',
      question,
      ...(sample === undefined ? {} : { sample_size: sample }),
      ...(typeof v.capability === 'string' ? { capability: check(z.string().min(1).max(64, 'must be at most 64 characters'), v.capability, 'capability') } : {}),
      ...(timeoutS === undefined ? {} : { timeout_ms: timeoutS * 1000 }),
      ...(v.priority === undefined ? {} : { priority: check(Priority, v.priority, 'priority') }),
    };
    const submitted = await submitForResult(ctx, '/v1/operations', body, 'ask');
    if ('exit' in submitted) return submitted.exit;
    const { job } = submitted;
    const result = (job.result ?? {}) as { answers?: AnswerGroup[] };
    if (!ctx.options.json) ctx.io.out(formatAnswers(result.answers ?? []));
    return EXIT.OK;
  },
};
