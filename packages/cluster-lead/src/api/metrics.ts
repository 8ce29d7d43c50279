/**
 * GET /metrics: the lead's families in a prom-client registry (docs/metrics.md). Counters and
 * gauges are read at scrape time from what the lead counts anyway; the arrival-error and API
 * latency histograms are observed when things happen. Base units throughout (seconds), label
 * values known up front at 0. Process, Node and event-loop metrics are the wiring's
 * (src/metrics): one set per process, not per app.
 */
import { ARRIVAL_ERROR_BUCKETS_S, BREAKER_STATE_VALUE, MeshMode, sampleOf, secondsFromMs, type BreakerStatus } from '@mesh30k/shared';
import { Counter, Histogram, type Registry } from 'prom-client';
import { LABEL_VALUES } from '../metrics/label-values.js';
import { byLabel, gaugeFamilyText, labelText, scrapedCounter, scrapedGauge, single, zeroesOf } from '../metrics/index.js';
import { registerFleetMetrics, type FleetMetricsSources } from './metrics-fleet.js';
import type { OperationOutcome } from '../scatter/index.js';
import type { ApiCounters } from './request-context.js';

/** Outcomes of the operations submitted through the lead's Operations, and their arrival errors. */
export class OperationMetrics {
  readonly outcomes = new Counter({
    name: 'mesh_lead_operations_total',
    help: 'Operations decided or refused, by outcome (success, partial, failed_over, refused).',
    labelNames: ['outcome'],
    registers: [],
  });
  readonly arrival = new Histogram({
    name: 'mesh_lead_arrival_error_seconds',
    help: 'Absolute arrival error of READY agents against T, seconds.',
    buckets: [...ARRIVAL_ERROR_BUCKETS_S],
    registers: [],
  });

  constructor() {
    for (const outcome of LABEL_VALUES.operationOutcomes) this.outcomes.inc({ outcome }, 0);
  }

  record(outcome: OperationOutcome): void {
    this.outcomes.inc({ outcome: outcome.status === 'refused' ? 'refused' : outcome.result.status.toLowerCase() });
    if (outcome.status === 'completed') for (const r of outcome.result.responders) this.arrival.observe(secondsFromMs(Math.abs(r.arrivalErrorMs)));
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
  /** Registry snapshot writes that failed since start, and whether the last one did. */
  snapshots?: () => { failures: number; failing: boolean };
  api: ApiCounters;
  /** How often each limit was hit (src/lib/limit-counters.ts); absent, no sample is added to the zeroes. */
  limits?: () => Readonly<Record<string, number>>;
  /** SENSOR_EVENT intake and how many sensors the lead has readings of; absent, not reported. */
  sensors?: () => { accepted: number; duplicates: number; refused: Readonly<Record<string, number>>; known: number };
  /** The latest reading of each sensor, at most the configured number, and how many were left out. */
  sensorValues?: () => { readings: readonly SensorValue[]; omitted: number };
  /** Agents beating on a session key now (heartbeats.auth session); absent in ed25519 mode. */
  agentsInSession?: () => number;
  /** With config `ha`: whether this lead holds the lease, and failed attempts at opening its bucket; absent otherwise. */
  ha?: () => { active: boolean; leaseOpenFailures: number; rideThroughs: { started: number; blocked: number } };
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

/**
 * Registers the lead's families in `registry`; each reads its source when scraped. Returns what
 * /metrics appends to the registry's page: the per-sensor families, written as text.
 */
export function registerLeadMetrics(registry: Registry, s: MetricsSources): () => string {
  scrapedCounter(registry, { name: 'mesh_lead_heartbeats_accepted_total', help: 'Heartbeats verified and taken into the registry.', read: () => single(s.ingest().accepted) });
  scrapedCounter(registry, {
    name: 'mesh_lead_heartbeats_refused_total',
    help: 'Heartbeats refused, by reason.',
    labelNames: ['reason'],
    zeroes: zeroesOf('reason', LABEL_VALUES.heartbeatRefusals),
    read: () => byLabel('reason', Object.entries(s.ingest().refused)),
  });
  scrapedCounter(registry, { name: 'mesh_lead_heartbeats_in_session_total', help: 'Heartbeats accepted on a session tag instead of a signature (docs/adr/0004).', read: () => single(s.ingest().accepted_in_session ?? 0) });
  scrapedCounter(registry, { name: 'mesh_lead_sessions_opened_total', help: 'Heartbeat sessions opened (SESSION_ACCEPT sent).', read: () => single(s.ingest().sessions_opened ?? 0) });
  scrapedCounter(registry, {
    name: 'mesh_lead_session_handshakes_refused_total',
    help: 'SESSION_HELLOs refused, by reason.',
    labelNames: ['reason'],
    zeroes: zeroesOf('reason', LABEL_VALUES.heartbeatRefusals),
    read: () => byLabel('reason', Object.entries(s.ingest().handshakes_refused ?? {})),
  });
  const agentsInSession = s.agentsInSession;
  if (agentsInSession !== undefined) {
    scrapedGauge(registry, { name: 'mesh_lead_agents_in_session', help: 'Agents whose heartbeats ride a session key now (a restarted lead starts at 0 and counts them back).', read: () => single(agentsInSession()) });
  }
  registry.registerMetric(s.operations.outcomes);
  registry.registerMetric(s.operations.arrival);

  scrapedGauge(registry, {
    name: 'mesh_lead_breaker_state',
    help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
    labelNames: ['scope', 'target_id'],
    read: () => s.breakers().map((b) => [{ scope: b.scope, target_id: b.targetId }, BREAKER_STATE_VALUE[b.state]] as const),
  });
  scrapedGauge(registry, {
    name: 'mesh_lead_mode',
    help: 'Degradation mode: 1 for the current one.',
    labelNames: ['mode'],
    read: () => {
      const mode = s.mode();
      return MeshMode.options.map((m) => [{ mode: m }, m === mode ? 1 : 0] as const);
    },
  });

  const snapshots = s.snapshots;
  if (snapshots !== undefined) {
    scrapedCounter(registry, { name: 'mesh_lead_snapshot_failures_total', help: 'Registry snapshot writes to the database that failed.', read: () => single(snapshots().failures) });
    scrapedGauge(registry, { name: 'mesh_lead_snapshot_failing', help: '1 while the latest registry snapshot write failed (the lead is not ready), else 0.', read: () => single(Number(snapshots().failing)) });
  }
  const ha = s.ha;
  if (ha !== undefined) {
    scrapedGauge(registry, { name: 'mesh_lead_ha_active', help: '1 while this lead holds its HA lease and acts, 0 while it stands by.', read: () => single(Number(ha().active)) });
    scrapedCounter(registry, { name: 'mesh_lead_ha_lease_open_failures_total', help: 'Failed attempts at opening the HA lease bucket (each retried with backoff).', read: () => single(ha().leaseOpenFailures) });
    scrapedCounter(registry, { name: 'mesh_lead_ha_lease_ride_throughs_total', help: 'Times the lease holder rode through an unwritable lease stream on its standbys\' promises.', read: () => single(ha().rideThroughs.started) });
    scrapedCounter(registry, { name: 'mesh_lead_ha_lease_ride_through_blocked_total', help: 'Witness rounds of the lease holder that did not extend its lease (a standby did not promise).', read: () => single(ha().rideThroughs.blocked) });
  }
  const sensorText = registerSensorMetrics(registry, s);

  scrapedCounter(registry, {
    name: 'mesh_lead_api_requests_total',
    help: 'API responses, by HTTP status.',
    labelNames: ['status'],
    zeroes: zeroesOf('status', LABEL_VALUES.apiStatuses),
    read: () => byLabel('status', s.api.byStatus),
  });
  registry.registerMetric(s.api.duration);
  scrapedCounter(registry, {
    name: 'mesh_lead_api_auth_failures_total',
    help: 'API requests refused by authentication or role, by reason.',
    labelNames: ['reason'],
    zeroes: zeroesOf('reason', LABEL_VALUES.authFailures),
    read: () => byLabel('reason', s.api.authFailures),
  });
  scrapedCounter(registry, {
    name: 'mesh_lead_limit_hits_total',
    help: 'Requests, frames or rows refused, dropped or pruned by a limit, by limit.',
    labelNames: ['limit'],
    zeroes: zeroesOf('limit', LABEL_VALUES.limits),
    read: () => byLabel('limit', Object.entries(s.limits?.() ?? {})),
  });
  registerFleetMetrics(registry, s);
  return sensorText;
}

/**
 * The sensor counters join the registry; the per-sensor families are written as text (see
 * metrics/text-family.ts) by the function returned, after the registry's page.
 */
function registerSensorMetrics(registry: Registry, s: MetricsSources): () => string {
  const sensors = s.sensors;
  if (sensors !== undefined) {
    scrapedCounter(registry, {
      name: 'mesh_lead_sensor_events_total',
      help: 'SENSOR_EVENTs verified and confirmed, by outcome (stored, duplicate).',
      labelNames: ['outcome'],
      read: () => {
        const now = sensors();
        return [[{ outcome: 'stored' }, now.accepted], [{ outcome: 'duplicate' }, now.duplicates]];
      },
    });
    scrapedCounter(registry, {
      name: 'mesh_lead_sensor_events_refused_total',
      help: 'SENSOR_EVENTs refused, by reason.',
      labelNames: ['reason'],
      zeroes: zeroesOf('reason', LABEL_VALUES.sensorRefusals),
      read: () => byLabel('reason', Object.entries(sensors().refused)),
    });
    scrapedGauge(registry, { name: 'mesh_lead_sensors', help: 'Sensors (agent, sensor) the lead holds a reading of.', read: () => single(sensors().known) });
  }
  const values = s.sensorValues;
  if (values === undefined) return () => '';
  return () => {
    // One read of the store per scrape feeds the three families; each series' labels are written once.
    const latest = values();
    const series: { labels: string; value: number; sampledAtS: number }[] = [];
    for (const r of latest.readings) {
      const value = sampleOf(r.value);
      if (value !== undefined) series.push({ labels: labelText({ agent_id: r.agentId, sensor_id: r.sensorId, unit: r.unit ?? '' }), value, sampledAtS: secondsFromMs(r.sampledAt) });
    }
    return [
      gaugeFamilyText('mesh_lead_sensor_value', 'Latest reading of a sensor (booleans 1/0; readings that are not numbers are left out), in the unit of its label.', series.map((x) => [x.labels, x.value] as const)),
      gaugeFamilyText('mesh_lead_sensor_sampled_at_seconds', 'When the latest reading of a sensor was taken, mesh time, seconds since the epoch.', series.map((x) => [x.labels, x.sampledAtS] as const)),
      gaugeFamilyText('mesh_lead_sensor_values_omitted', 'Sensors whose value is not exported because sensors.metrics_max_series was reached.', [['', latest.omitted]]),
    ].join('\n');
  };
}
