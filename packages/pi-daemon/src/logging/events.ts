/**
 * Named operational events. Every log line about something an operator or an alert cares
 * about carries `event: <one of these>`, so dashboards key on stable names rather than on
 * message text. Add new names here; never rename one that has shipped.
 */
export const LogEvent = {
  // lifecycle
  AGENT_STARTING: 'agent.starting',
  AGENT_STARTED: 'agent.started',
  AGENT_CONNECTED: 'agent.connected',
  AGENT_DISCONNECTED: 'agent.disconnected',
  AGENT_RECONNECTING: 'agent.reconnecting',
  AGENT_STOPPING: 'agent.stopping',
  AGENT_STOPPED: 'agent.stopped',
  CONFIG_LOADED: 'config.loaded',
  CONFIG_INVALID: 'config.invalid',
  CONFIG_UNKNOWN_ENV: 'config.unknown_env',
  // heartbeat and clock
  HEARTBEAT_SENT: 'heartbeat.sent',
  HEARTBEAT_FAILED: 'heartbeat.failed',
  HEARTBEAT_MISSED: 'heartbeat.missed',
  CLOCK_UPDATED: 'clock.updated',
  CLOCK_STEPPED: 'clock.stepped',
  // coordination
  COORDINATE_RECEIVED: 'coordinate.received',
  COORDINATE_REFUSED: 'coordinate.refused',
  COORDINATE_READY: 'coordinate.ready',
  COORDINATE_CONFLICT: 'coordinate.conflict',
  MESSAGE_REFUSED: 'message.refused',
  QUEUE_FULL: 'queue.full',
  AGENT_FROZEN: 'agent.frozen',
  AGENT_THAWED: 'agent.thawed',
  // outbox and database
  OUTBOX_ENQUEUED: 'outbox.enqueued',
  OUTBOX_REPLAYED: 'outbox.replayed',
  OUTBOX_DROPPED: 'outbox.dropped',
  DATABASE_OPENED: 'database.opened',
  DATABASE_CORRUPT: 'database.corrupt',
  DATABASE_CHECKPOINT_FAILED: 'database.checkpoint_failed',
  // health
  HEALTH_SAMPLED: 'health.sampled',
  HEALTH_METRIC_TIMEOUT: 'health.metric_timeout',
  HEALTH_WORKER_FAILED: 'health.worker_failed',
  HEALTH_WORKER_RESTARTED: 'health.worker_restarted',
  // systemd, status, keys
  SYSTEMD_NOTIFY_FAILED: 'systemd.notify_failed',
  SYSTEMD_UNAVAILABLE: 'systemd.unavailable',
  STATUS_LISTENING: 'status.listening',
  STATUS_FAILED: 'status.failed',
  KEYS_GENERATED: 'keys.generated',
} as const;

export type LogEvent = (typeof LogEvent)[keyof typeof LogEvent];
