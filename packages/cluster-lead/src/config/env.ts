/**
 * The lead's environment overrides: MESH_LEAD_ + the key's path in upper case, sections joined
 * by a double underscore (keys themselves contain single ones): MESH_LEAD_LEAD_ID,
 * MESH_LEAD_HTTP__PORT, MESH_LEAD_NATS__SERVERS=nats://a:4222,nats://b:4222. The overlay
 * itself is shared with the agent (@mesh30k/shared applyEnv), so both read variables the same way.
 */
import { envBindings, type EnvNaming } from '@mesh30k/shared';
import { LeadConfigSchema } from './schema.js';

export const ENV_PREFIX = 'MESH_LEAD_';

/** MESH_LEAD_ names that are not config keys: the config file's path, and the console's lead URL. */
export const LEAD_ENV_NAMING: EnvNaming = { prefix: ENV_PREFIX, separator: '__', ignored: [`${ENV_PREFIX}CONFIG`, `${ENV_PREFIX}URL`] };

export const LEAD_ENV_BINDINGS = envBindings(LeadConfigSchema, LEAD_ENV_NAMING);
