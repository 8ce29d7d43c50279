/**
 * `mesh`, the operator console. main() returns the exit status; operator mistakes, auth
 * failures and an unreachable lead print one line on stderr, bugs a stack.
 */
import { randomUUID } from 'node:crypto';
import { authorizer } from './auth.js';
import { COMMANDS } from './commands/index.js';
import type { CommandContext, ConsoleIo } from './context.js';
import { ConsoleError, EXIT } from './exit-codes.js';
import { commandHelp, helpText } from './help.js';
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
    const options = globalOptions(args.values, io.env);
    if (options.help) {
      io.out(commandHelp(command));
      return EXIT.OK;
    }
    const client = new HttpClient({
      baseUrl: options.leadUrl,
      authorize: await authorizer(options.credentials, io.now),
      timeoutMs: options.timeoutMs,
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
    const { code, message, exitCode } = describeFailure(error);
    io.err(`mesh: ${message}\n`);
    // Scripts that asked for JSON get JSON on stdout even now, so they can always parse it.
    if (argv.includes('--json')) io.out(`${JSON.stringify({ error: { code, message }, exit_code: exitCode })}\n`);
    return exitCode;
  }
}

function describeFailure(error: unknown): { code: string; message: string; exitCode: number } {
  if (error instanceof ConsoleError) return { code: error.code, message: error.message, exitCode: error.exitCode };
  if (error instanceof LeadUnreachableError) return { code: 'DOWN', message: `DOWN: ${error.message}`, exitCode: EXIT.DOWN };
  return { code: 'INTERNAL', message: `internal error (a bug): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, exitCode: EXIT.DOWN };
}
