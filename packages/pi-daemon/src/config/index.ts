export {
  AgentConfigSchema,
  DEFAULT_CONFIG_PATH,
  DEFAULT_DATA_DIR,
  DEFAULT_HEALTH_INTERVAL_MS,
  DEFAULT_HEALTH_METRIC_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_JITTER,
  DEFAULT_KEY_PATH,
  DEFAULT_NATS_MAX_PINGS_OUT,
  DEFAULT_NATS_PING_INTERVAL_MS,
  DEFAULT_NATS_SERVER,
  DEFAULT_OUTBOX_MAX_ENTRIES,
  DEFAULT_OUTBOX_REPLAY_RATE_PER_S,
  DEFAULT_QUEUE_MAX_DEPTH,
  DEFAULT_STATUS_HOST,
  DEFAULT_STATUS_PORT,
  LOG_LEVELS,
} from './schema.js';
export type { AgentConfig, LogLevel } from './schema.js';
export { AGENT_ENV_BINDINGS, AGENT_ENV_NAMING, CONFIG_PATH_ENV, ENV_PREFIX } from './env.js';
export { ConfigError, EX_CONFIG, formatIssue } from './errors.js';
export type { ConfigErrorCode, ConfigIssue } from './errors.js';
export { loadConfig, resolveConfigPath } from './load.js';
export type { LoadConfigOptions, LoadedConfig } from './load.js';
