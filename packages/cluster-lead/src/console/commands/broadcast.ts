/** `mesh broadcast MESSAGE`: send to every selected agent, report how many received and acknowledged. */
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { number } from '../format.js';
import { WAIT_FLAGS, submitForResult } from '../jobs.js';
import { check, intFlag } from '../options.js';
import { Priority, SELECTOR_FLAGS, selectorFrom, textArgument } from './selector.js';
import { z } from 'zod';

export interface ScatterCounts {
  selected: number;
  sent: number;
  skipped: number;
  ready: number;
  transit: number;
  conflicts: number;
  refused: number;
  stragglers: number;
}

export const broadcastCommand: Command = {
  name: 'broadcast',
  summary: 'send a message to all (or the selected) agents',
  usage: 'broadcast MESSAGE [--priority 0-5] [--require-ack] [--verb VERB] [--op-timeout S] [--cluster ID] [--sector ID] [--class C] [--capability NAME] [--agents ID,...] [--wait S | --no-wait]',
  flags: { ...SELECTOR_FLAGS, ...WAIT_FLAGS, priority: { type: 'string' }, 'require-ack': { type: 'boolean' }, verb: { type: 'string' }, 'op-timeout': { type: 'string' } },
  async run(ctx) {
    const message = textArgument(ctx, 'message');
    const v = ctx.args.values;
    const timeoutS = intFlag(v['op-timeout'], 'op-timeout', 1, 600);
    const body = {
      kind: 'broadcast',
      verb: typeof v.verb === 'string' ? check(z.enum(['observe', 'orient', 'decide', 'act', 'record', 'sync']), v.verb, 'verb') : 'record',
      payload: { message },
      selector: selectorFrom(ctx),
      priority: v.priority === undefined ? 2 : check(Priority, v.priority, 'priority'),
      ...(timeoutS === undefined ? {} : { timeout_ms: timeoutS * 1000 }),
    };
    const submitted = await submitForResult(ctx, '/v1/operations', body, 'broadcast');
    if ('exit' in submitted) return submitted.exit;
    const { job } = submitted;
    const counts = (job.result as { counts?: ScatterCounts } | undefined)?.counts;
    if (!ctx.options.json) {
      ctx.io.out(
        counts === undefined
          ? `Broadcast ${job.operation_id} complete\n`
          : `Broadcast complete: ${number(counts.sent)} received, ${number(counts.sent - counts.stragglers)} acknowledged\n`,
      );
    }
    // A broadcast needs no answers (the lead sends it with no quorum); --require-ack wants them all.
    const complete = counts === undefined || v['require-ack'] !== true || counts.stragglers === 0;
    return complete ? EXIT.OK : EXIT.DEGRADED;
  },
};
