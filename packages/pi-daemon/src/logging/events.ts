/**
 * Named operational events: the one list for the whole daemon (platform services and agent
 * core). Every log line about something an operator or an alert cares about carries
 * `event: <one of these>`, so dashboards key on stable names rather than on message text.
 * Add new names here; never rename one that has shipped.
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
  AGENT_CRASHED: 'agent.crashed',
  CONFIG_LOADED: 'config.loaded',
  CONFIG_INVALID: 'config.invalid',
  CONFIG_UNKNOWN_ENV: 'config.unknown_env',
  // heartbeat and clock
  HEARTBEAT_SENT: 'heartbeat.sent',
  HEARTBEAT_FAILED: 'heartbeat.failed',
  HEARTBEAT_MISSED: 'heartbeat.missed',
  HEARTBEAT_HELD: 'heartbeat.held',
  HEARTBEAT_RECOVERED: 'heartbeat.recovered',
  HEARTBEAT_REJECTED: 'heartbeat.rejected',
  HEARTBEAT_INTERVAL_CHANGED: 'heartbeat.interval_changed',
  HEARTBEAT_SESSION_OPENED: 'heartbeat.session_opened',
  HEARTBEAT_SESSION_LOST: 'heartbeat.session_lost',
  HEARTBEAT_SESSION_FAILED: 'heartbeat.session_failed',
  // enrollment ("permit join") and the lead's key
  ENROLLMENT_WAITING: 'enrollment.waiting',
  ENROLLMENT_REQUEST_FAILED: 'enrollment.request_failed',
  ENROLLMENT_ACCEPTED: 'enrollment.accepted',
  LEAD_KEY_LEARNT: 'lead.key_learnt',
  LEAD_KEY_UNKNOWN: 'lead.key_unknown',
  CLOCK_UPDATED: 'clock.updated',
  CLOCK_STEPPED: 'clock.stepped',
  CLOCK_SYNCED: 'clock.synced',
  MESH_MODE_CHANGED: 'mesh.mode_changed',
  // coordination
  COORDINATE_RECEIVED: 'coordinate.received',
  COORDINATE_REFUSED: 'coordinate.refused',
  COORDINATE_READY: 'coordinate.ready',
  COORDINATE_CONFLICT: 'coordinate.conflict',
  COORDINATE_HANDED_BACK: 'coordinate.handed_back',
  HANDLER_FAILED: 'handler.failed',
  ACK_SENT: 'ack.sent',
  ACK_REFUSED_BY_LEAD: 'ack.refused_by_lead',
  MESSAGE_REFUSED: 'message.refused',
  QUEUE_FULL: 'queue.full',
  AGENT_FROZEN: 'agent.frozen',
  AGENT_THAWED: 'agent.thawed',
  FREEZE_PRESERVE_REFUSED: 'freeze.preserve_state_to_refused',
  CONTROL_REFUSED: 'control.refused',
  CONTROL_CIRCUIT: 'control.circuit',
  PROBE_ANSWERED: 'probe.answered',
  PROBE_REFUSED: 'probe.refused',
  // outbox and database
  OUTBOX_ENQUEUED: 'outbox.enqueued',
  OUTBOX_REPLAYED: 'outbox.replayed',
  OUTBOX_DROPPED: 'outbox.dropped',
  OUTBOX_STALLED: 'outbox.stalled',
  OUTBOX_DEAD_LETTER: 'outbox.dead_letter',
  OUTBOX_DEFERRED: 'outbox.deferred',
  DATABASE_OPENED: 'database.opened',
  DATABASE_CORRUPT: 'database.corrupt',
  DATABASE_CHECKPOINT_FAILED: 'database.checkpoint_failed',
  LEASE_EPOCH_NOT_KEPT: 'lease_epoch.not_kept',
  DATA_DIR_NOT_WRITABLE: 'data_dir.not_writable',
  // health
  HEALTH_SAMPLED: 'health.sampled',
  HEALTH_METRIC_TIMEOUT: 'health.metric_timeout',
  HEALTH_WORKER_FAILED: 'health.worker_failed',
  HEALTH_WORKER_RESTARTED: 'health.worker_restarted',
  // field sensors and actuators
  SENSORS_BACKEND: 'sensors.backend',
  SENSOR_STARTED: 'sensor.started',
  SENSOR_FAILED: 'sensor.failed',
  SENSOR_READING: 'sensor.reading',
  OUTPUT_SET: 'output.set',
  OUTPUT_SAFE_STATE: 'output.safe_state',
  AGENT_IDENTIFY: 'agent.identify',
  // systemd, status, keys
  SYSTEMD_NOTIFY_FAILED: 'systemd.notify_failed',
  SYSTEMD_UNAVAILABLE: 'systemd.unavailable',
  STATUS_LISTENING: 'status.listening',
  STATUS_FAILED: 'status.failed',
  KEYS_GENERATED: 'keys.generated',
} as const;

export type LogEvent = (typeof LogEvent)[keyof typeof LogEvent];
