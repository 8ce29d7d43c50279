import { runDaemon } from '../../main.js';
import { parseFlags, type Command } from '../args.js';
import { EXIT } from '../exit-codes.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run the agent daemon (under systemd, or in a terminal)',
  usage: `Usage: mesh-agent run [--config <file>]

Runs the agent until SIGTERM or SIGINT.

Options:
  -c, --config <file>  config file (default: $MESH_AGENT_CONFIG, else /etc/mesh30k/agent.json);
                       MESH_* environment variables override its keys
  -h, --help           show this help

Exit status: 0 after a clean stop, 78 when the config or key material is invalid.`,
  async run(argv, io) {
    const flags = parseFlags(argv, { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } });
    if (flags.help === true) {
      io.out(this.usage);
      return EXIT.OK;
    }
    return runDaemon({ ...(flags.config === undefined ? {} : { configPath: flags.config }), env: process.env, output: io });
  },
};
