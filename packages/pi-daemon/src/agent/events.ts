import { LogEvent } from '../logging/events.js';

/**
 * Names of the operational events the agent core logs (`event` on every line), so dashboards
 * and alerts key on stable names rather than on message text. Where logging/events.ts already
 * names an event, that name is used; the rest are the core's own.
 */
export const AGENT_EVENTS = {
  started: LogEvent.AGENT_STARTED,
  stopping: LogEvent.AGENT_STOPPING,
  stopped: LogEvent.AGENT_STOPPED,
  crashed: 'agent.crashed',
  connected: LogEvent.AGENT_CONNECTED,
  disconnected: LogEvent.AGENT_DISCONNECTED,
  heartbeatMissed: LogEvent.HEARTBEAT_MISSED,
  heartbeatRecovered: 'heartbeat.recovered',
  heartbeatRejected: 'heartbeat.rejected',
  clockStep: LogEvent.CLOCK_STEPPED,
  clockSynced: 'clock.synced',
  modeChanged: 'mesh.mode_changed',
  intervalChanged: 'heartbeat.interval_changed',
  frameRefused: LogEvent.MESSAGE_REFUSED,
  coordinateAccepted: LogEvent.COORDINATE_RECEIVED,
  coordinateRefused: LogEvent.COORDINATE_REFUSED,
  released: LogEvent.COORDINATE_READY,
  handlerFailed: 'handler.failed',
  ackSent: 'ack.sent',
  ackOutboxed: LogEvent.OUTBOX_ENQUEUED,
  ackRefusedByLead: 'ack.refused_by_lead',
  handedBack: 'coordinate.handed_back',
  conflictReported: LogEvent.COORDINATE_CONFLICT,
  outboxReplayed: LogEvent.OUTBOX_REPLAYED,
  outboxStalled: 'outbox.stalled',
  outboxDropped: LogEvent.OUTBOX_DROPPED,
  frozen: LogEvent.AGENT_FROZEN,
  thawed: LogEvent.AGENT_THAWED,
  controlRefused: 'control.refused',
  circuit: 'control.circuit',
  probeAnswered: 'probe.answered',
  probeRefused: 'probe.refused',
} as const;

export type AgentEvent = (typeof AGENT_EVENTS)[keyof typeof AGENT_EVENTS];
