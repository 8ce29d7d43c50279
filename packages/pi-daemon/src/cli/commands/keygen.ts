import { AgentClass, MeshError } from '@mesh30k/shared';
import { ConfigError, DEFAULT_CONFIG_PATH, DEFAULT_KEY_PATH, loadConfig, type AgentConfig } from '../../config/index.js';
import { keygen } from '../../keys/index.js';
import { UsageError, parseFlags, requireFlag, type Command } from '../args.js';
import { EXIT } from '../exit-codes.js';

export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'create this agent\'s key pair and print an enrollment request',
  usage: `Usage: mesh-agent keygen [--config <file>] [options]

Writes a new Ed25519 key pair (private key mode 0600) and prints the public key and an
enrollment request signed by it. The identity (agent id, cluster, class, capabilities,
sector, key path) comes from the agent's config unless --agent-id is given; flags win over
the config. The running agent asks its lead to join by itself (mesh enroll accept on the
operator's side); the printed request is for the manual path: mesh-lead enroll --request.

Options:
  -c, --config <file>      the agent's config (default MESH_AGENT_CONFIG, then ${DEFAULT_CONFIG_PATH})
      --agent-id <id>      this agent's id, without a config (letters, digits, "_" or "-")
      --cluster <id>       the cluster it joins (needed with --agent-id)
      --class <A-F>        impedance class (default E, a Pi)
      --capability <name>  a capability; repeat for several
      --sector <id>        sector, when the mesh has sectors
      --key <file>         where to write the key (default: the config's key_path, else ${DEFAULT_KEY_PATH})
      --force              replace an existing key file (its identity is lost)
  -h, --help               show this help`,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      config: { type: 'string', short: 'c' },
      'agent-id': { type: 'string' },
      cluster: { type: 'string' },
      class: { type: 'string' },
      capability: { type: 'string', multiple: true },
      sector: { type: 'string' },
      key: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    });
    if (flags.help === true) {
      io.out(this.usage);
      return EXIT.OK;
    }
    let config: AgentConfig | undefined;
    if (flags['agent-id'] === undefined) {
      try {
        config = loadConfig({ ...(flags.config === undefined ? {} : { path: flags.config }), env: process.env }).config;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        io.err(`mesh-agent keygen: reads the agent's identity from its config, or from --agent-id and --cluster\n${error.message}`);
        return error.exitCode;
      }
    }
    const agentClass = AgentClass.safeParse(flags.class ?? config?.class ?? 'E');
    if (!agentClass.success) throw new UsageError(`--class must be one of ${AgentClass.options.join(', ')}, got "${flags.class}"`);
    const sectorId = flags.sector ?? config?.sector_id;
    try {
      const result = await keygen({
        keyPath: flags.key ?? config?.key_path ?? DEFAULT_KEY_PATH,
        agentId: config?.agent_id ?? requireFlag(flags['agent-id'], 'agent-id'),
        clusterId: flags.cluster ?? config?.cluster_id ?? requireFlag(undefined, 'cluster'),
        class: agentClass.data,
        capabilities: flags.capability ?? config?.capabilities ?? [],
        ...(sectorId === undefined ? {} : { sectorId }),
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
