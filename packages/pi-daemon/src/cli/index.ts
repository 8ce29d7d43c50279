/**
 * Entry point of `mesh-agent` (bin/mesh-agent.js loads it, or its bundle dist/mesh-agent.mjs).
 * Unlike every other module it acts when imported: it runs the command line and exits.
 */
import { EXIT } from './exit-codes.js';
import { processOutput } from './output.js';
import { runCli } from './run-cli.js';

process.on('uncaughtException', (error) => {
  processOutput.err(`mesh-agent: uncaught exception\n${error.stack ?? error.message}`);
  process.exit(EXIT.SOFTWARE);
});
process.on('unhandledRejection', (reason) => {
  processOutput.err(`mesh-agent: unhandled rejection\n${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  process.exit(EXIT.SOFTWARE);
});

const code = await runCli(process.argv.slice(2), processOutput);
// Pending client timers (a NATS dial loop, say) must not keep a finished command alive.
process.exit(code);
