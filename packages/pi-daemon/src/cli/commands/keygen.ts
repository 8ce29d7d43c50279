import { AgentClass, MeshError } from '@mesh30k/shared';
import { DEFAULT_KEY_PATH } from '../../config/index.js';
import { keygen } from '../../keys/index.js';
import { UsageError, parseFlags, requireFlag, type Command } from '../args.js';
import { EXIT } from '../exit-codes.js';

export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'create this agent\'s key pair and print an enrollment request',
  usage: `Usage: mesh-agent keygen --agent-id <id> --cluster <id> [options]

Writes a new Ed25519 key pair (private key mode 0600) and prints the public key and an
enrollment request signed by it, for the operator to enroll with the mesh root key.

Options:
      --agent-id <id>      this agent's id (letters, digits, "_" or "-")
      --cluster <id>       the cluster it joins
      --class <A-F>        impedance class (default E, a Pi)
      --capability <name>  a capability; repeat for several
      --sector <id>        sector, when the mesh has sectors
      --key <file>         where to write the key (default ${DEFAULT_KEY_PATH})
      --force              replace an existing key file (its identity is lost)
  -h, --help               show this help`,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      'agent-id': { type: 'string' },
      cluster: { type: 'string' },
      class: { type: 'string', default: 'E' },
      capability: { type: 'string', multiple: true, default: [] },
      sector: { type: 'string' },
      key: { type: 'string', default: DEFAULT_KEY_PATH },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    });
    if (flags.help === true) {
      io.out(this.usage);
      return EXIT.OK;
    }
    const agentClass = AgentClass.safeParse(flags.class);
    if (!agentClass.success) throw new UsageError(`--class must be one of ${AgentClass.options.join(', ')}, got "${flags.class}"`);
    try {
      const result = await keygen({
        keyPath: flags.key,
        agentId: requireFlag(flags['agent-id'], 'agent-id'),
        clusterId: requireFlag(flags.cluster, 'cluster'),
        class: agentClass.data,
        capabilities: flags.capability,
        ...(flags.sector === undefined ? {} : { sectorId: flags.sector }),
        overwrite: flags.force,
      });
      io.out(result.text);
      return EXIT.OK;
    } catch (error) {
      if (error instanceof MeshError) {
        io.err(`mesh-agent keygen: ${error.message}`);
        return error.code === 'INVALID_FIELDS' ? EXIT.USAGE : EXIT.CANT_CREATE;
      }
      throw error;
    }
  },
};
