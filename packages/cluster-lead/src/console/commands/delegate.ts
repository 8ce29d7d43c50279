/** `mesh delegate TASK --to TARGET`: hand a task to the best agent and wait for its result. */
import { z } from 'zod';
import { printJson, type Command } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { WAIT_FLAGS, failureLine, pendingLine, phaseOf, submitAndFollow } from '../jobs.js';
import { check, intFlag } from '../options.js';
import { Priority, textArgument } from './selector.js';

const Verb = z.enum(['observe', 'orient', 'decide', 'act', 'record', 'sync'], { error: 'must be observe, orient, decide, act, record or sync' });

/** `best_available`, `class:D`, `capability:NAME` or `agent:ID` (the spec's `CLASS_D_GPU` also works). */
export function parseTarget(text: string): unknown {
  if (text === 'best_available') return 'best_available';
  const spec = /^CLASS_([A-F])(?:_\w+)?$/.exec(text);
  if (spec !== null) return { agent_class: spec[1] };
  const [kind, value] = [text.slice(0, text.indexOf(':')), text.slice(text.indexOf(':') + 1)];
  if (value !== '' && text.includes(':')) {
    if (kind === 'class' && /^[A-Fa-f]$/.test(value)) return { agent_class: value.toUpperCase() };
    if (kind === 'capability') return { capability: value };
    if (kind === 'agent') return { agent_id: value };
  }
  throw new ConsoleError('USAGE', '--to: must be best_available, class:A-F, capability:NAME or agent:ID');
}

interface DelegationResult {
  status?: string;
  agent_id?: string | null;
  elapsed_ms?: number;
  reason?: string | null;
  result?: unknown;
}

export const delegateCommand: Command = {
  name: 'delegate',
  summary: 'hand a task to one agent chosen by the lead',
  usage: 'delegate TASK [--to best_available|class:C|capability:NAME|agent:ID] [--verb VERB] [--task-timeout S] [--attempts N] [--priority 0-5] [--wait S | --no-wait]',
  flags: { ...WAIT_FLAGS, to: { type: 'string' }, verb: { type: 'string' }, 'task-timeout': { type: 'string' }, attempts: { type: 'string' }, priority: { type: 'string' } },
  async run(ctx) {
    const task = textArgument(ctx, 'task');
    const v = ctx.args.values;
    const timeoutS = intFlag(v['task-timeout'], 'task-timeout', 1, 86_400);
    const attempts = intFlag(v.attempts, 'attempts', 1, 10);
    const body = {
      task: { verb: typeof v.verb === 'string' ? check(Verb, v.verb, 'verb') : 'decide', payload: { task } },
      to: typeof v.to === 'string' ? parseTarget(v.to) : 'best_available',
      ...(timeoutS === undefined ? {} : { timeout_ms: timeoutS * 1000 }),
      ...(attempts === undefined ? {} : { max_attempts: attempts }),
      ...(v.priority === undefined ? {} : { priority: check(Priority, v.priority, 'priority') }),
    };
    const { job, finished } = await submitAndFollow(ctx, '/v1/delegations', body, 'delegation');
    if (ctx.options.json) printJson(ctx, job);
    if (!finished) {
      if (!ctx.options.json) ctx.io.out(pendingLine(job));
      return EXIT.OK;
    }
    const result = (job.result ?? {}) as DelegationResult;
    if (phaseOf(job.state) === 'failed' || result.status === 'FAILED') {
      if (!ctx.options.json) ctx.io.err(result.reason ? `delegation failed: ${result.reason}\n` : failureLine(job));
      return EXIT.DEGRADED;
    }
    if (!ctx.options.json) {
      ctx.io.out(`Delegated to agent ${result.agent_id ?? '?'}\n`);
      if (result.elapsed_ms !== undefined) ctx.io.out(`Result ready in ${(result.elapsed_ms / 1000).toFixed(1)} seconds\n`);
      if (result.result !== undefined) ctx.io.out(`${JSON.stringify(result.result, null, 2)}\n`);
    }
    return EXIT.OK;
  },
};
