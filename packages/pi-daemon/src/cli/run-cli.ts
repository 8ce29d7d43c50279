import { UsageError, type Command } from './args.js';
import { keygenCommand } from './commands/keygen.js';
import { runCommand } from './commands/run.js';
import { simCommand } from './commands/sim.js';
import { deadLettersCommand } from './commands/dead-letters.js';
import { statusCommand } from './commands/status.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';

const COMMANDS: readonly Command[] = [runCommand, keygenCommand, statusCommand, deadLettersCommand, simCommand];

export const USAGE = `Usage: mesh-agent <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(14)}${c.summary}`).join('\n')}

Run "mesh-agent <command> --help" for a command's options.`;

/** Runs one CLI invocation; resolves with the exit status. Bugs are printed with their stack. */
export async function runCli(argv: readonly string[], io: Output): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err(`mesh-agent: unknown command "${name}"`);
    io.err(USAGE);
    return EXIT.USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`mesh-agent ${command.name}: ${error.message}`);
      io.err(command.usage);
      return EXIT.USAGE;
    }
    io.err(`mesh-agent ${command.name}: unexpected error\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.SOFTWARE;
  }
}
