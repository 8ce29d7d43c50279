import { DEFAULT_STATUS_HOST, DEFAULT_STATUS_PORT } from '../../config/index.js';
import { StatusError, fetchStatus, formatStatus } from '../../status/index.js';
import { integerFlag, parseFlags, type Command } from '../args.js';
import { EXIT } from '../exit-codes.js';

const DEFAULT_TIMEOUT_MS = 3_000;

export const statusCommand: Command = {
  name: 'status',
  summary: 'ask the running daemon how it is doing',
  usage: `Usage: mesh-agent status [--json] [--host <host>] [--port <port>]

Asks the daemon's local status endpoint and prints a short summary, or the JSON document.

Options:
      --json           print the status as JSON
      --host <host>    where the daemon's status endpoint listens (default ${DEFAULT_STATUS_HOST})
      --port <port>    its port (default ${DEFAULT_STATUS_PORT})
      --timeout <ms>   how long to wait (default ${DEFAULT_TIMEOUT_MS})
  -h, --help           show this help

Exit status: 0 when the daemon answered, 69 when it did not.`,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      json: { type: 'boolean', default: false },
      host: { type: 'string', default: DEFAULT_STATUS_HOST },
      port: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (flags.help === true) {
      io.out(this.usage);
      return EXIT.OK;
    }
    const port = integerFlag(flags.port, 'port', 1, 65_535) ?? DEFAULT_STATUS_PORT;
    const timeout = integerFlag(flags.timeout, 'timeout', 1, 600_000) ?? DEFAULT_TIMEOUT_MS;
    try {
      const status = await fetchStatus(flags.host, port, timeout);
      io.out(flags.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      return EXIT.OK;
    } catch (error) {
      if (error instanceof StatusError) {
        io.err(`mesh-agent status: ${error.message}`);
        return EXIT.UNAVAILABLE;
      }
      throw error;
    }
  },
};
