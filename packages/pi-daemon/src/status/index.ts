export { AgentStatus, HeartbeatResult, STATUS_PATH } from './status-schema.js';
export { METRICS_PATH, startStatusServer } from './status-server.js';
export type { MetricsExposition, StatusServer, StatusServerOptions } from './status-server.js';
export { StatusError, fetchStatus } from './status-client.js';
export type { StatusErrorCode } from './status-client.js';
export { formatDuration, formatStatus } from './format-status.js';
