/**
 * Long-running work (operations, delegations, heal): submit, then poll the job at
 * /v1/operations/<id> until it ends, showing progress on a terminal.
 */
import { expectOk } from './api.js';
import { printJson, type CommandContext } from './context.js';
import { ConsoleError, EXIT, type ExitCode } from './exit-codes.js';
import { intFlag } from './options.js';
import { createProgress } from './progress.js';

export const POLL_INTERVAL_MS = 500;
export const DEFAULT_WAIT_S = 300;

export type JobPhase = 'pending' | 'succeeded' | 'failed';

export interface Job {
  operation_id: string;
  /** Where the job is followed; /v1/operations/<id> when the lead does not say. */
  location?: string;
  kind?: string;
  state: string;
  result?: unknown;
  error?: { code: string; message: string } | null;
  refusal?: { code: string; reason: string } | null;
  [key: string]: unknown;
}

/**
 * Where a job stands. Accepts the job layer's states and the interim ones the lead answers
 * until that lands (running / completed / refused).
 */
export function phaseOf(state: string): JobPhase {
  switch (state.toUpperCase()) {
    case 'SUCCEEDED':
    case 'COMPLETED':
      return 'succeeded';
    case 'FAILED':
    case 'REFUSED':
    case 'CANCELLED':
      return 'failed';
    default:
      return 'pending';
  }
}

export const WAIT_FLAGS = {
  wait: { type: 'string' },
  'no-wait': { type: 'boolean' },
} as const;

export interface Submitted {
  job: Job;
  /** False when --no-wait asked not to follow it, or the wait ran out. */
  finished: boolean;
}

/** POSTs `body` to `path` (with an Idempotency-Key) and follows the job it starts. */
export async function submitAndFollow(ctx: CommandContext, path: string, body: unknown, label: string): Promise<Submitted> {
  // Checked before anything is started: a bad flag must not leave a job behind.
  const waitMs = (intFlag(ctx.args.values.wait, 'wait', 1, 86_400) ?? DEFAULT_WAIT_S) * 1000;
  const res = await ctx.client.post(path, body, ctx.idempotencyKey());
  const raw = expectOk<Job & { delegation_id?: string }>(res, `${label} refused`);
  // Delegations answer delegation_id and their own Location until they become jobs too.
  const id = raw.operation_id ?? raw.delegation_id;
  if (typeof id !== 'string') throw new ConsoleError('DOWN', `${label}: the lead answered without an operation_id`);
  const location = raw.location ?? res.headers.get('location') ?? `/v1/operations/${encodeURIComponent(id)}`;
  const accepted: Job = { ...raw, operation_id: id };
  if (ctx.args.values['no-wait'] === true) return { job: accepted, finished: false };
  const progress = createProgress(ctx.io.stderrIsTty && !ctx.options.json, ctx.io.err, ctx.io.now);
  const deadline = ctx.io.now() + waitMs;
  let job = accepted;
  try {
    while (phaseOf(job.state) === 'pending') {
      if (ctx.io.now() >= deadline) return { job, finished: false };
      progress.update(`${label} ${id}: ${job.state.toLowerCase()}`);
      await ctx.io.sleep(POLL_INTERVAL_MS);
      job = { ...expectOk<Job>(await ctx.client.get(location), `${label} ${id}`), operation_id: id };
    }
  } finally {
    progress.done();
  }
  return { job, finished: true };
}

/** One line for a job that has not finished, telling the operator how to look again. */
export function pendingLine(job: Job): string {
  return `operation ${job.operation_id} is ${job.state.toLowerCase()}; follow it with: mesh operation ${job.operation_id}\n`;
}

/** Why a job failed, in one line. */
export function failureLine(job: Job): string {
  const why = job.error?.message ?? job.refusal?.reason ?? 'no reason given';
  const code = job.error?.code ?? job.refusal?.code;
  return `operation ${job.operation_id} ${job.state.toLowerCase()}${code === undefined ? '' : ` (${code})`}: ${why}\n`;
}

/**
 * Submits a job and follows it, printing it with --json. A job still pending or one that
 * failed is reported here and ends the command (`exit`); a finished one is returned for the
 * command to print its result.
 */
export async function submitForResult(ctx: CommandContext, path: string, body: unknown, label: string): Promise<{ job: Job } | { exit: ExitCode }> {
  const { job, finished } = await submitAndFollow(ctx, path, body, label);
  if (ctx.options.json) printJson(ctx, job);
  if (!finished) {
    if (!ctx.options.json) ctx.io.out(pendingLine(job));
    return { exit: EXIT.OK };
  }
  if (phaseOf(job.state) === 'failed') {
    if (!ctx.options.json) ctx.io.err(failureLine(job));
    return { exit: EXIT.DEGRADED };
  }
  return { job };
}
