export { LeadConfigSchema, type LeadConfig, type LeadConfigInput } from './schema.js';
export { ENV_PREFIX, envKeys, envVariable, readEnvOverrides, unknownEnv, type EnvKey, type EnvOverrides } from './env.js';
export { ConfigError, formatIssue, loadConfig, parseConfig, unknownLeadEnv, type ConfigIssue, type LoadConfigOptions } from './load.js';
