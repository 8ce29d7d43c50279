/**
 * `mesh`, the operator console. main() returns the exit status; operator mistakes, auth
 * failures and an unreachable lead print one line on stderr, bugs a stack.
 */
import { randomUUID } from 'node:crypto';
import { authorizer } from './auth.js';
import { COMMANDS } from './commands/index.js';
import { selectedContext } from './contexts.js';
import type { CommandContext, ConsoleIo } from './context.js';
import { ConsoleError, EXIT } from './exit-codes.js';
import { commandHelp, helpText } from './help.js';
import { leadFetch } from './lead-fetch.js';
import { HttpClient, LeadUnreachableError } from './http-client.js';
import { globalOptions, parseFlags, splitCommand } from './options.js';
import { createStyle } from './style.js';

export { EXIT } from './exit-codes.js';
export type { ConsoleIo } from './context.js';

const processIo = (): ConsoleIo => ({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  stdoutIsTty: process.stdout.isTTY === true,
  stderrIsTty: process.stderr.isTTY === true,
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
});

function hasContexts(env: Readonly<Record<string, string | undefined>>): boolean {
  try {
    return selectedContext(env, undefined) !== undefined;
  } catch {
    return true;
  }
}

export async function main(argv: readonly string[], io: ConsoleIo = processIo()): Promise<number> {
  try {
    const { command: name, rest } = splitCommand(argv);
    const command = COMMANDS.find((c) => c.name === name);
    if (name === undefined || name === 'help') {
      io.out(helpText(COMMANDS));
      return name === undefined && !argv.includes('--help') && !argv.includes('-h') ? EXIT.USAGE : EXIT.OK;
    }
    if (command === undefined) throw new ConsoleError('USAGE', `unknown command "${name}"; see mesh --help`);
    const args = parseFlags(rest, command.flags);
    const contextFlag = typeof args.values.context === 'string' ? args.values.context : undefined;
    const options = globalOptions(args.values, io.env, command.local === true ? undefined : selectedContext(io.env, contextFlag));
    if (options.help) {
      io.out(commandHelp(command));
      return EXIT.OK;
    }
    const client = new HttpClient({
      baseUrl: options.leadUrl,
      authorize: await authorizer(command.local === true ? { kind: 'none' } : options.credentials, io.now),
      timeoutMs: options.timeoutMs,
      fetch: leadFetch(options.trust),
      sleep: io.sleep,
      random: io.random,
      now: io.now,
    });
    const ctx: CommandContext = {
      io,
      client,
      options,
      args,
      style: createStyle(io.stdoutIsTty, io.env, options.noColor || options.json),
      idempotencyKey: () => randomUUID(),
    };
    return await command.run(ctx);
  } catch (error) {
    const { code, message, exitCode } = describeFailure(error, argv, io.env);
    io.err(`mesh: ${message}\n`);
    // Scripts that asked for JSON get JSON on stdout even now, so they can always parse it.
    if (argv.includes('--json')) io.out(`${JSON.stringify({ error: { code, message }, exit_code: exitCode })}\n`);
    return exitCode;
  }
}

/** Said after an authentication failure: which settings decide who the console is. */
const AUTH_HINT = 'credentials come from --operator with --key, or --token; else MESH_OPERATOR_ID with MESH_OPERATOR_KEY, or MESH_TOKEN; else the current context (mesh context list). See docs/console.md';
const DOWN_HINT = 'no lead configured: give --lead, set MESH_LEAD_URL or add a context (mesh context add NAME --lead URL ...); see docs/console.md';

function describeFailure(error: unknown, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): { code: string; message: string; exitCode: number } {
  if (error instanceof ConsoleError) {
    const hint = error.code === 'AUTH' ? `\n  (${AUTH_HINT})` : '';
    return { code: error.code, message: `${error.message}${hint}`, exitCode: error.exitCode };
  }
  if (error instanceof LeadUnreachableError) {
    const unconfigured = !argv.includes('--lead') && env.MESH_LEAD_URL === undefined && env.MESH_CONTEXT === undefined && !argv.includes('--context') && !hasContexts(env);
    return { code: 'DOWN', message: `DOWN: ${error.message}${unconfigured ? `\n  (${DOWN_HINT})` : ''}`, exitCode: EXIT.DOWN };
  }
  return { code: 'INTERNAL', message: `internal error (a bug): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, exitCode: EXIT.DOWN };
}
