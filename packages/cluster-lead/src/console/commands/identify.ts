/**
 * `mesh identify AGENT`: the agent blinks its ACT LED (and its configured identify output) for
 * a few seconds, then gives the LED back to its trigger. Sent as an `act` operation to that
 * one agent; exit 0 only when it answered READY (it found something to blink).
 */
import { z } from 'zod';
import type { Command } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { WAIT_FLAGS, submitForResult } from '../jobs.js';
import { check, intFlag } from '../options.js';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id (letters, digits, _ -)');

export const identifyCommand: Command = {
  name: 'identify',
  summary: 'blink an agent\'s ACT LED (and its identify output) so you can find it',
  usage: 'identify AGENT [--seconds S] [--wait S | --no-wait]',
  flags: { ...WAIT_FLAGS, seconds: { type: 'string' } },
  async run(ctx) {
    const [id, ...extra] = ctx.args.positionals;
    if (id === undefined || extra.length > 0) throw new ConsoleError('USAGE', 'identify: give exactly one agent id');
    const agent = check(Id, id, 'agent id');
    const seconds = intFlag(ctx.args.values.seconds, 'seconds', 1, 60);
    const body = {
      kind: 'scatter_gather',
      verb: 'act',
      payload: { action: 'identify', ...(seconds === undefined ? {} : { duration_ms: seconds * 1000 }) },
      selector: { agent_ids: [agent] },
      release_mode: 'none',
      min_response_rate: 1,
    };
    const submitted = await submitForResult(ctx, '/v1/operations', body, 'identify');
    if ('exit' in submitted) return submitted.exit;
    const { job } = submitted;
    const result = job.result as { counts?: { ready?: number }; status?: string } | undefined;
    const ready = (result?.counts?.ready ?? 0) > 0;
    if (!ctx.options.json) {
      if (ready) ctx.io.out(`${agent} is blinking\n`);
      else ctx.io.err(`${agent} did not blink (${result?.status ?? 'no answer'}); mesh operation ${job.operation_id} has its answer\n`);
    }
    return ready ? EXIT.OK : EXIT.DEGRADED;
  },
};
