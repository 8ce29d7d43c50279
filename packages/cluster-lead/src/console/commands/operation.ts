/** `mesh operation ID` (show a job, or follow it with --follow) and `mesh cancel ID`. */
import { expectOk } from '../api.js';
import { printJson, type Command, type CommandContext } from '../context.js';
import { ConsoleError, EXIT } from '../exit-codes.js';
import { POLL_INTERVAL_MS, failureLine, phaseOf, type Job } from '../jobs.js';
import { createProgress } from '../progress.js';

function operationId(ctx: CommandContext): string {
  const [id, ...extra] = ctx.args.positionals;
  if (id === undefined || extra.length > 0 || !/^[A-Za-z0-9_.:-]{1,128}$/.test(id)) throw new ConsoleError('USAGE', `${ctx.args.positionals.length === 0 ? 'operation id: missing' : 'operation id: give exactly one id'}`);
  return id;
}

function show(ctx: CommandContext, job: Job): number {
  if (ctx.options.json) printJson(ctx, job);
  else {
    ctx.io.out(`operation ${job.operation_id}${job.kind === undefined ? '' : ` (${job.kind})`}: ${job.state.toLowerCase()}\n`);
    if (phaseOf(job.state) === 'failed') ctx.io.out(failureLine(job));
    if (job.result !== undefined && job.result !== null) ctx.io.out(`${JSON.stringify(job.result, null, 2)}\n`);
  }
  return phaseOf(job.state) === 'failed' ? EXIT.DEGRADED : EXIT.OK;
}

export const operationCommand: Command = {
  name: 'operation',
  summary: 'show a job (operation, delegation, heal); --follow waits for it to end',
  usage: 'operation ID [--follow]',
  flags: { follow: { type: 'boolean' } },
  async run(ctx) {
    const id = operationId(ctx);
    const path = `/v1/operations/${encodeURIComponent(id)}`;
    let job = expectOk<Job>(await ctx.client.get(path), `operation ${id}`);
    if (ctx.args.values.follow === true) {
      const progress = createProgress(ctx.io.stderrIsTty && !ctx.options.json, ctx.io.err, ctx.io.now);
      try {
        while (phaseOf(job.state) === 'pending') {
          progress.update(`operation ${id}: ${job.state.toLowerCase()}`);
          await ctx.io.sleep(POLL_INTERVAL_MS);
          job = expectOk<Job>(await ctx.client.get(path), `operation ${id}`);
        }
      } finally {
        progress.done();
      }
    }
    return show(ctx, job);
  },
};

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'cancel a running job',
  usage: 'cancel ID',
  flags: {},
  async run(ctx) {
    const id = operationId(ctx);
    const job = expectOk<Job>(await ctx.client.post(`/v1/operations/${encodeURIComponent(id)}/cancel`, undefined, ctx.idempotencyKey()), `cancel ${id}`);
    return show(ctx, job);
  },
};
