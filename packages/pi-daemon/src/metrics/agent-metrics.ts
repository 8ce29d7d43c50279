/**
 * The agent's /metrics (Prometheus text), served by the local status server beside /status.
 * Everything is read at scrape time from what Agent.status() already counts; the text format
 * is shared's MetricsText, the same writer the lead uses.
 */
import { MetricsText } from '@mesh30k/shared';
import type { AgentStatus } from '../agent/status-report.js';

export function renderAgentMetrics(status: AgentStatus): string {
  const c = status.counters;
  const m = new MetricsText();
  const synced = status.clock.samples > 0;

  m.single('mesh_agent_heartbeats_sent_total', 'counter', 'Heartbeats sent to the lead.', c.heartbeatsSent);
  m.family('mesh_agent_heartbeats_failed_total', 'counter', 'Heartbeats that failed: no reply in time (missed) or refused by the lead (rejected).');
  m.sample('mesh_agent_heartbeats_failed_total', c.heartbeatsMissed, { reason: 'missed' });
  m.sample('mesh_agent_heartbeats_failed_total', c.heartbeatsRejected, { reason: 'rejected' });
  m.single('mesh_agent_nats_connected', 'gauge', '1 while the agent has a NATS connection.', Number(status.connected));

  m.single('mesh_agent_outbox_depth', 'gauge', 'ACKs and events waiting in the outbox for the lead.', status.outbox.depth);
  m.single('mesh_agent_outbox_dropped_total', 'counter', 'Outbox entries dropped because the outbox was full.', status.outbox.dropped);
  m.single('mesh_agent_outbox_replayed_total', 'counter', 'Outbox entries delivered late, after a reconnect.', c.outboxReplayed);
  m.single('mesh_agent_outbox_failures_total', 'counter', 'Outbox deliveries that failed and stayed queued.', c.outboxFailures);

  m.single('mesh_agent_clock_offset_ms', 'gauge', 'Estimated lead clock minus this clock, ms (NaN before the first exchange).', synced ? status.clock.offset_ms : Number.NaN);
  m.single('mesh_agent_clock_error_bound_ms', 'gauge', 'Bound on the offset estimate error, ms; grows while heartbeats fail (NaN before the first exchange).', synced ? status.clock.error_bound_ms : Number.NaN);
  m.single('mesh_agent_clock_samples', 'gauge', 'Clock exchanges in the offset filter.', status.clock.samples);

  m.family('mesh_agent_coordinations_total', 'counter', 'COORDINATE messages by outcome: accepted, ignored (not for this agent), refused (no ACK possible) or declined (answered with a refusal ACK).');
  m.sample('mesh_agent_coordinations_total', c.coordinatesAccepted, { outcome: 'accepted' });
  m.sample('mesh_agent_coordinations_total', c.coordinatesIgnored, { outcome: 'ignored' });
  for (const [code, n] of Object.entries(c.refusedByCode)) m.sample('mesh_agent_coordinations_total', n, { outcome: 'refused', code });
  for (const [code, n] of Object.entries(c.declinedByCode)) m.sample('mesh_agent_coordinations_total', n, { outcome: 'declined', code });
  m.single('mesh_agent_acks_sent_total', 'counter', 'ACKs published to the lead directly.', c.acksSent);
  m.single('mesh_agent_acks_outboxed_total', 'counter', 'ACKs that went to the outbox because the lead could not be reached.', c.acksOutboxed);
  m.single('mesh_agent_conflicts_total', 'counter', 'Conflicts this agent reported.', c.conflicts);
  m.single('mesh_agent_handler_failures_total', 'counter', 'Verb handlers that threw.', c.handlerFailures);
  m.single('mesh_agent_handed_back_total', 'counter', 'Held work handed back as TRANSIT at shutdown.', c.handedBack);
  m.single('mesh_agent_probes_answered_total', 'counter', 'Lead probes (PING) answered.', c.probesAnswered);
  m.single('mesh_agent_queue_depth', 'gauge', 'Work queued or running.', status.queueDepth);
  m.single('mesh_agent_frozen', 'gauge', '1 while the agent is frozen.', Number(status.frozen));
  return m.text();
}
