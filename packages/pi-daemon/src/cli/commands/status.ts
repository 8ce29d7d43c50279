import { ConfigError, DEFAULT_STATUS_HOST, DEFAULT_STATUS_PORT, loadConfig } from '../../config/index.js';
import { StatusError, fetchStatus, formatStatus } from '../../status/index.js';
import { UsageError, integerFlag, parseFlags, type Command } from '../args.js';
import { EXIT } from '../exit-codes.js';

const DEFAULT_TIMEOUT_MS = 3_000;

export const statusCommand: Command = {
  name: 'status',
  summary: 'ask the running daemon how it is doing',
  usage: `Usage: mesh-agent status [--json] [--config <file>] [--host <host>] [--port <port>]

Asks the daemon's local status endpoint and prints a short summary, or the JSON document.

Options:
      --json           print the status as JSON
  -c, --config <file>  read status.host and status.port from the daemon's config file (and
                       its MESH_* environment overrides, as the daemon does)
      --host <host>    where the endpoint listens; wins over the config
                       (default ${DEFAULT_STATUS_HOST})
      --port <port>    its port; wins over the config (default ${DEFAULT_STATUS_PORT})
      --timeout <ms>   how long to wait (default ${DEFAULT_TIMEOUT_MS})
  -h, --help           show this help

Exit status: 0 when the daemon answered, 69 when it did not, 78 when --config is invalid.`,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      json: { type: 'boolean', default: false },
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      port: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (flags.help === true) {
      io.out(this.usage);
      return EXIT.OK;
    }
    const flagPort = integerFlag(flags.port, 'port', 1, 65_535);
    const timeout = integerFlag(flags.timeout, 'timeout', 1, 600_000) ?? DEFAULT_TIMEOUT_MS;
    let configured: { host: string; port: number } = { host: DEFAULT_STATUS_HOST, port: DEFAULT_STATUS_PORT };
    if (flags.config !== undefined) {
      try {
        configured = loadConfig({ path: flags.config, env: process.env }).config.status;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        io.err(error.message);
        return error.exitCode;
      }
      // Port 0 makes the daemon listen on a port the kernel picks: the file cannot say which.
      if (configured.port === 0 && flagPort === undefined) {
        throw new UsageError(`${flags.config} sets status.port to 0 (a port chosen at start); give --port`);
      }
    }
    const host = flags.host ?? configured.host;
    const port = flagPort ?? configured.port;
    try {
      const status = await fetchStatus(host, port, timeout);
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
