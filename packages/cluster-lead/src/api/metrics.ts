/**
 * GET /metrics: Prometheus text exposition (version 0.0.4), written by hand: a few counters,
 * gauges and one histogram do not need a client library. Everything is read at scrape time
 * from counters the lead keeps anyway; nothing here sits on the heartbeat or scatter path.
 * The text format itself (escaping, histograms) is shared's, which the agent uses too.
 */
import { Histogram, PROMETHEUS_CONTENT_TYPE, labelValue, type BreakerStatus } from '@mesh30k/shared';
import { renderFleetMetrics, type FleetMetricsSources } from './metrics-fleet.js';
import type { OperationOutcome } from '../scatter/index.js';
import type { ApiCounters } from './request-context.js';

export const METRICS_CONTENT_TYPE = PROMETHEUS_CONTENT_TYPE;
export { Histogram };
/** |arrival error| bucket bounds, ms. */
export const ARRIVAL_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000];
const BREAKER_VALUE: Readonly<Record<string, number>> = { closed: 0, 'half-open': 1, open: 2 };
const MODES = ['FULL', 'DEGRADED_LIGHT', 'DEGRADED_MODERATE', 'DEGRADED_SEVERE', 'EMERGENCY'] as const;

/** Outcomes of the operations submitted through the lead's Operations, and their arrival errors. */
export class OperationMetrics {
  readonly outcomes = new Map<string, number>();
  readonly arrival = new Histogram(ARRIVAL_BUCKETS_MS);

  record(outcome: OperationOutcome): void {
    const key = outcome.status === 'refused' ? 'refused' : outcome.result.status.toLowerCase();
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
    if (outcome.status === 'completed') for (const r of outcome.result.responders) this.arrival.observe(Math.abs(r.arrivalErrorMs));
  }
}

export interface MetricsSources extends FleetMetricsSources {
  ingest(): {
    accepted: number;
    refused: Readonly<Record<string, number>>;
    accepted_in_session?: number;
    sessions_opened?: number;
    handshakes_refused?: Readonly<Record<string, number>>;
  };
  operations: OperationMetrics;
  breakers(): BreakerStatus[];
  mode(): string;
  /** Worst event-loop delay since the last scrape, ms. */
  eventLoopDelayMs(): number;
  /** Registry snapshot writes that failed since start, and whether the last one did. */
  snapshots?(): { failures: number; failing: boolean };
  api: ApiCounters;
  /** How often each limit was hit (src/lib/limit-counters.ts); absent, the family is empty. */
  limits?: () => Readonly<Record<string, number>>;
  /** SENSOR_EVENT intake and how many sensors the lead has readings of; absent, not reported. */
  sensors?(): { accepted: number; duplicates: number; refused: Readonly<Record<string, number>>; known: number };
  /** The latest reading of each sensor, at most the configured number, and how many were left out. */
  sensorValues?(): { readings: readonly SensorValue[]; omitted: number };
}

/** A sensor's latest reading as /metrics shows it. */
export interface SensorValue {
  readonly agentId: string;
  readonly sensorId: string;
  readonly unit: string | null;
  readonly value: unknown;
  /** Mesh time of the reading, ms. */
  readonly sampledAt: number;
}

/** A reading as a sample value: numbers as they are, booleans 1/0, anything else has none. */
function sampleOf(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

const label = labelValue;

export function renderMetrics(s: MetricsSources): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const ingest = s.ingest();

  family('mesh_lead_heartbeats_accepted_total', 'counter', 'Heartbeats verified and taken into the registry.');
  lines.push(`mesh_lead_heartbeats_accepted_total ${ingest.accepted}`);
  family('mesh_lead_heartbeats_refused_total', 'counter', 'Heartbeats refused, by reason.');
  for (const [reason, n] of Object.entries(ingest.refused)) lines.push(`mesh_lead_heartbeats_refused_total{reason="${label(reason)}"} ${n}`);
  family('mesh_lead_heartbeats_in_session_total', 'counter', 'Heartbeats accepted on a session tag instead of a signature (docs/adr/0004).');
  lines.push(`mesh_lead_heartbeats_in_session_total ${ingest.accepted_in_session ?? 0}`);
  family('mesh_lead_sessions_opened_total', 'counter', 'Heartbeat sessions opened (SESSION_ACCEPT sent).');
  lines.push(`mesh_lead_sessions_opened_total ${ingest.sessions_opened ?? 0}`);
  family('mesh_lead_session_handshakes_refused_total', 'counter', 'SESSION_HELLOs refused, by reason.');
  for (const [reason, n] of Object.entries(ingest.handshakes_refused ?? {})) lines.push(`mesh_lead_session_handshakes_refused_total{reason="${label(reason)}"} ${n}`);

  family('mesh_lead_operations_total', 'counter', 'Operations decided or refused, by outcome (success, partial, refused).');
  for (const [outcome, n] of s.operations.outcomes) lines.push(`mesh_lead_operations_total{outcome="${label(outcome)}"} ${n}`);
  family('mesh_lead_arrival_error_ms', 'histogram', 'Absolute arrival error of READY agents against T, ms.');
  const h = s.operations.arrival;
  h.bounds.forEach((bound, i) => lines.push(`mesh_lead_arrival_error_ms_bucket{le="${bound}"} ${h.counts[i] ?? 0}`));
  lines.push(`mesh_lead_arrival_error_ms_bucket{le="+Inf"} ${h.count}`, `mesh_lead_arrival_error_ms_sum ${h.sum}`, `mesh_lead_arrival_error_ms_count ${h.count}`);

  family('mesh_lead_breaker_state', 'gauge', 'Circuit breaker state: 0 closed, 1 half-open, 2 open.');
  for (const b of s.breakers()) lines.push(`mesh_lead_breaker_state{scope="${b.scope}",target_id="${label(b.targetId)}"} ${BREAKER_VALUE[b.state] ?? -1}`);

  family('mesh_lead_mode', 'gauge', 'Degradation mode: 1 for the current one.');
  const mode = s.mode();
  for (const m of MODES) lines.push(`mesh_lead_mode{mode="${m}"} ${m === mode ? 1 : 0}`);

  family('mesh_lead_event_loop_delay_ms', 'gauge', 'Worst event-loop delay since the previous scrape, ms.');
  lines.push(`mesh_lead_event_loop_delay_ms ${s.eventLoopDelayMs()}`);

  if (s.snapshots !== undefined) {
    const snapshots = s.snapshots();
    family('mesh_lead_snapshot_failures_total', 'counter', 'Registry snapshot writes to the database that failed.');
    lines.push(`mesh_lead_snapshot_failures_total ${snapshots.failures}`);
    family('mesh_lead_snapshot_failing', 'gauge', '1 while the latest registry snapshot write failed (the lead is not ready), else 0.');
    lines.push(`mesh_lead_snapshot_failing ${snapshots.failing ? 1 : 0}`);
  }

  const sensors = s.sensors?.();
  if (sensors !== undefined) {
    family('mesh_lead_sensor_events_total', 'counter', 'SENSOR_EVENTs verified and confirmed, by outcome (stored, duplicate).');
    lines.push(`mesh_lead_sensor_events_total{outcome="stored"} ${sensors.accepted}`, `mesh_lead_sensor_events_total{outcome="duplicate"} ${sensors.duplicates}`);
    family('mesh_lead_sensor_events_refused_total', 'counter', 'SENSOR_EVENTs refused, by reason.');
    for (const [reason, n] of Object.entries(sensors.refused)) lines.push(`mesh_lead_sensor_events_refused_total{reason="${label(reason)}"} ${n}`);
    family('mesh_lead_sensors', 'gauge', 'Sensors (agent, sensor) the lead holds a reading of.');
    lines.push(`mesh_lead_sensors ${sensors.known}`);
  }
  const values = s.sensorValues?.();
  if (values !== undefined) {
    family('mesh_lead_sensor_value', 'gauge', 'Latest reading of a sensor (booleans 1/0; readings that are not numbers are left out), in the unit of its label.');
    const sampled: string[] = [];
    for (const reading of values.readings) {
      const sample = sampleOf(reading.value);
      if (sample === undefined) continue;
      const labels = `agent_id="${label(reading.agentId)}",sensor_id="${label(reading.sensorId)}",unit="${label(reading.unit ?? '')}"`;
      lines.push(`mesh_lead_sensor_value{${labels}} ${sample}`);
      sampled.push(`mesh_lead_sensor_sampled_at_seconds{${labels}} ${reading.sampledAt / 1000}`);
    }
    family('mesh_lead_sensor_sampled_at_seconds', 'gauge', 'When the latest reading of a sensor was taken, mesh time, seconds since the epoch.');
    lines.push(...sampled);
    family('mesh_lead_sensor_values_omitted', 'gauge', 'Sensors whose value is not exported because sensors.metrics_max_series was reached.');
    lines.push(`mesh_lead_sensor_values_omitted ${values.omitted}`);
  }

  family('mesh_lead_api_requests_total', 'counter', 'API responses, by HTTP status.');
  for (const [status, n] of [...s.api.byStatus].sort((a, b) => a[0] - b[0])) lines.push(`mesh_lead_api_requests_total{status="${status}"} ${n}`);
  family('mesh_lead_api_auth_failures_total', 'counter', 'API requests refused by authentication or role, by reason.');
  for (const [reason, n] of s.api.authFailures) lines.push(`mesh_lead_api_auth_failures_total{reason="${label(reason)}"} ${n}`);
  family('mesh_lead_limit_hits_total', 'counter', 'Requests, frames or rows refused, dropped or pruned by a limit, by limit.');
  for (const [limit, n] of Object.entries(s.limits?.() ?? {})) lines.push(`mesh_lead_limit_hits_total{limit="${label(limit)}"} ${n}`);
  return `${lines.join('\n')}\n${renderFleetMetrics(s)}`;
}
