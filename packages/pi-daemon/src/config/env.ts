/**
 * The agent's environment overrides: `MESH_` + the key's path in upper case joined by `_`
 * (nats.servers -> MESH_NATS_SERVERS). The overlay itself is shared with the lead
 * (@mesh30k/shared applyEnv), so both read variables the same way.
 */
import { envBindings, type EnvNaming } from '@mesh30k/shared';
import { AgentConfigSchema } from './schema.js';

export const ENV_PREFIX = 'MESH_';
/** Names the config file; not a config key. */
export const CONFIG_PATH_ENV = 'MESH_AGENT_CONFIG';

/** Read by the launcher (bin/mesh-agent.js), not a config key: where a prebuilt bundle is. */
const BUNDLE_DIR_ENV = 'MESH_BUNDLE_DIR';

export const AGENT_ENV_NAMING: EnvNaming = { prefix: ENV_PREFIX, separator: '_', ignored: [CONFIG_PATH_ENV, BUNDLE_DIR_ENV] };

export const AGENT_ENV_BINDINGS = envBindings(AgentConfigSchema, AGENT_ENV_NAMING);
