export { LeadConfigSchema, type LeadConfig, type LeadConfigInput } from './schema.js';
export { ENV_PREFIX, LEAD_ENV_BINDINGS, LEAD_ENV_NAMING } from './env.js';
export { ConfigError, formatIssue, loadConfig, parseConfig, unknownLeadEnv, type ConfigIssue, type LoadConfigOptions } from './load.js';
