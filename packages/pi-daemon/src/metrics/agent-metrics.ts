/**
 * The agent's /metrics families (docs/metrics.md), served by the local status server beside
 * /status. Everything is read at scrape time from what Agent.status() already counts. Only the
 * real daemon builds a registry (main.ts); the sims' virtual agents have none.
 */
import { MeshMode, sampleOf, secondsFromMs } from '@mesh30k/shared';
import type { Registry } from 'prom-client';
import type { AgentStatus } from '../agent/status-report.js';
import type { DeclineCode } from '../coordination/intake.js';
import { byLabel, scrapedCounter, scrapedGauge, single, type Sample } from '@mesh30k/shared/node';

/** Every code a refusal ACK can carry: typed against the union, so a new one is not forgotten. */
const DECLINE_CODES: Record<DeclineCode, true> = {
  FROZEN: true, SHUTTING_DOWN: true, TARGET_PASSED: true, QUEUE_FULL: true, HANDED_BACK: true, HANDLER_FAILED: true,
  FRAME_REFUSED: true, VERB_UNSUPPORTED: true, PAYLOAD_INVALID: true,
};

export function registerAgentMetrics(registry: Registry, status: () => AgentStatus): void {
  // One status() per scrape: the first family's collect takes it, the families after it (collected
  // in registration order) read the same one.
  let taken: AgentStatus | undefined;
  const current = (): AgentStatus => (taken ??= status());
  const read = (pick: (s: AgentStatus) => number) => () => single(pick(current()));
  const counter = (name: string, help: string, pick: (s: AgentStatus) => number) => scrapedCounter(registry, { name, help, read: read(pick) });
  const gauge = (name: string, help: string, pick: (s: AgentStatus) => number) => scrapedGauge(registry, { name, help, read: read(pick) });

  scrapedCounter(registry, {
    name: 'mesh_agent_heartbeats_sent_total',
    help: 'Heartbeat requests sent to the lead, answered or not.',
    read: () => {
      taken = status();
      return single(taken.counters.heartbeatsRequested);
    },
  });
  counter('mesh_agent_heartbeats_answered_total', 'Heartbeats the lead answered with a verified reply (accepted or refused).', (s) => s.counters.heartbeatsSent);
  counter('mesh_agent_heartbeats_refused_total', 'Heartbeats the lead refused (signed refusal or unsigned answer).', (s) => s.counters.heartbeatsRejected);
  counter('mesh_agent_heartbeats_missed_total', 'Heartbeats without a usable answer: timeout, bus error, bad or unsigned reply.', (s) => s.counters.heartbeatsMissed);
  gauge('mesh_agent_nats_connected', '1 while the agent has a NATS connection.', (s) => Number(s.connected));

  gauge('mesh_agent_outbox_depth', 'ACKs and events waiting in the outbox for the lead.', (s) => s.outbox.depth);
  counter('mesh_agent_outbox_dropped_total', 'Outbox entries dropped because the outbox was full.', (s) => s.outbox.dropped);
  counter('mesh_agent_outbox_replayed_total', 'Outbox entries delivered late, after a reconnect.', (s) => s.counters.outboxReplayed);
  counter('mesh_agent_outbox_failures_total', 'Outbox deliveries that failed and stayed queued.', (s) => s.counters.outboxFailures);
  counter('mesh_agent_dead_letters_total', 'Outbox entries the lead refused for good, moved to the dead letters.', (s) => s.deadLetters.total);

  const synced = (s: AgentStatus) => s.clock.samples > 0;
  gauge('mesh_agent_clock_offset_seconds', 'Estimated lead clock minus this clock, seconds (NaN before the first exchange).', (s) => (synced(s) ? secondsFromMs(s.clock.offset_ms) : Number.NaN));
  gauge('mesh_agent_clock_error_bound_seconds', 'Bound on the offset estimate error, seconds; grows while heartbeats fail (NaN before the first exchange).', (s) =>
    synced(s) ? secondsFromMs(s.clock.error_bound_ms) : Number.NaN,
  );
  gauge('mesh_agent_clock_samples', 'Clock exchanges in the offset filter.', (s) => s.clock.samples);

  scrapedCounter(registry, {
    name: 'mesh_agent_coordinations_total',
    help: 'COORDINATE messages by outcome: accepted, ignored (not for this agent), refused (no ACK possible) or declined (answered with a refusal ACK).',
    labelNames: ['outcome', 'code'],
    // Refusals without an ACK carry any wire code; they appear when they happen.
    zeroes: [{ outcome: 'accepted' }, { outcome: 'ignored' }, ...Object.keys(DECLINE_CODES).map((code) => ({ outcome: 'declined', code }))],
    read: () => {
      const c = current().counters;
      const byCode = (outcome: string, counts: Record<string, number>): Sample[] => Object.entries(counts).map(([code, n]) => [{ outcome, code }, n] as const);
      return [[{ outcome: 'accepted' }, c.coordinatesAccepted], [{ outcome: 'ignored' }, c.coordinatesIgnored], ...byCode('refused', c.refusedByCode), ...byCode('declined', c.declinedByCode)];
    },
  });
  counter('mesh_agent_acks_sent_total', 'ACKs published to the lead directly.', (s) => s.counters.acksSent);
  counter('mesh_agent_acks_outboxed_total', 'ACKs that went to the outbox because the lead could not be reached.', (s) => s.counters.acksOutboxed);
  counter('mesh_agent_conflicts_total', 'Conflicts this agent reported.', (s) => s.counters.conflicts);
  counter('mesh_agent_handler_failures_total', 'Verb handlers that threw.', (s) => s.counters.handlerFailures);
  counter('mesh_agent_handed_back_total', 'Held work handed back as TRANSIT at shutdown.', (s) => s.counters.handedBack);
  counter('mesh_agent_probes_answered_total', 'Lead probes (PING) answered.', (s) => s.counters.probesAnswered);
  gauge('mesh_agent_queue_depth', 'Work queued or running.', (s) => s.queueDepth);

  // Degradation as the agent sees it: the lead's mesh mode and the freeze. Breakers are the lead's.
  gauge('mesh_agent_frozen', '1 while the agent is frozen.', (s) => Number(s.frozen));
  scrapedGauge(registry, {
    name: 'mesh_agent_mode',
    help: 'Mesh degradation mode the lead last announced: 1 for the current one.',
    labelNames: ['mode'],
    read: () => MeshMode.options.map((m) => [{ mode: m }, m === current().mode ? 1 : 0] as const),
  });
  registerSensorFamilies(registry, current);
}

function registerSensorFamilies(registry: Registry, current: () => AgentStatus): void {
  const devices = () => current().sensors?.devices ?? [];
  scrapedCounter(registry, {
    name: 'mesh_agent_sensor_readings_total',
    help: 'Sensor readings and input events queued for the lead since start, by sensor.',
    labelNames: ['sensor_id'],
    // Every configured sensor at 0 first; the counts add to it.
    read: () => [...devices().map((d) => [{ sensor_id: d.id }, 0] as const), ...byLabel('sensor_id', Object.entries(current().sensors?.readings ?? {}))],
  });
  scrapedGauge(registry, {
    name: 'mesh_agent_sensor_up',
    help: '1 while a configured sensor or output works, 0 while it fails.',
    labelNames: ['sensor_id'],
    read: () => devices().map((d) => [{ sensor_id: d.id }, Number(d.ok)] as const),
  });
  scrapedGauge(registry, {
    name: 'mesh_agent_sensor_value',
    help: 'Latest reading of a sensor (booleans 1/0; readings that are not numbers are left out), in the unit of its label.',
    labelNames: ['sensor_id', 'unit'],
    read: () =>
      (current().sensors?.last ?? []).flatMap((r) => {
        const sample = sampleOf(r.value);
        return sample === undefined ? [] : [[{ sensor_id: r.sensor_id, unit: r.unit ?? '' }, sample] as const];
      }),
  });
}
