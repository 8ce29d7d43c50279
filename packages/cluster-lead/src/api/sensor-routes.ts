/**
 * Field sensor readings: GET /v1/sensors (latest of every sensor, by agent then sensor, paged),
 * GET /v1/agents/:id/sensors (one agent's latest readings, and the health of its sensors as its
 * last heartbeat reports them) and
 * GET /v1/agents/:id/sensors/:sensor/history (newest first, paged with page tokens).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AgentView } from '../registry/index.js';
import { sensorHealth } from '../sensors/sensor-health.js';
import type { SensorReadings, StoredReading } from '../store/index.js';
import type { PageTokens } from './page-token.js';
import { ApiError } from './problem.js';
import { PageParams, readQuery } from './query.js';
import type { SensorReadingJson } from './response-schemas.js';

export interface SensorsApi {
  readings: Pick<SensorReadings, 'latest' | 'history'>;
  agent(agentId: string): AgentView | undefined;
  /** Lead clock (mesh time), for the age of heartbeat-reported readings. */
  now(): number;
  /** A periodic sensor whose last reading is older than this is flagged stale. */
  staleAfterMs: number;
}

export const LatestQuery = z.strictObject({ agent: z.string().min(1).max(64).optional(), ...PageParams });
export const HistoryQuery = z.strictObject({ ...PageParams });
export const AgentLatestQuery = z.strictObject({});

export function readingJson(r: StoredReading): SensorReadingJson {
  return {
    agent_id: r.agentId,
    sensor_id: r.sensorId,
    // The store keeps what a validated SENSOR_EVENT carried (SensorKind, SensorValue) as plain columns.
    kind: r.sensorKind as SensorReadingJson['kind'],
    value: r.value as SensorReadingJson['value'],
    ...(r.unit === null ? {} : { unit: r.unit }),
    ...(r.error === null ? {} : { error: r.error }),
    sampled_at: r.sampledAt,
    seq: r.seq,
    ...(r.bootId === '' ? {} : { boot_id: r.bootId }),
    received_at: r.receivedAt,
  };
}

const CURSOR_SEPARATOR = '\u0000';

export function sensorRoutes(api: SensorsApi, tokens: PageTokens): { sensors: Hono; agentSensors: Hono } {
  const sensors = new Hono();
  sensors.get('/', (c) => {
    const { page_size, page_token, ...filters } = readQuery(c, LatestQuery);
    const after = page_token === undefined ? undefined : tokens.read('sensors', filters, page_token);
    const rows = api.readings.latest({ agentId: filters.agent, after, limit: page_size + 1 });
    const page = rows.slice(0, page_size);
    const last = page.at(-1);
    return c.json({
      sensors: page.map(readingJson),
      ...(rows.length > page_size && last !== undefined ? { next_page_token: tokens.issue('sensors', filters, `${last.agentId}${CURSOR_SEPARATOR}${last.sensorId}`) } : {}),
    });
  });

  const agentSensors = new Hono();
  agentSensors.get('/:id/sensors', (c) => {
    const id = known(api, c.req.param('id'));
    readQuery(c, AgentLatestQuery);
    const stored = api.readings.latest({ agentId: id, limit: 1_000 });
    const report = api.agent(id)?.sensors ?? null;
    const bySensor = new Map(stored.map((r) => [r.sensorId, { kind: r.sensorKind, seq: r.seq }]));
    return c.json({
      agent_id: id,
      sensors: stored.map(readingJson),
      // What the agent's last heartbeat says about its sensors, judged: failing, stale, behind.
      heartbeat: report === null ? null : sensorHealth(report, { now: api.now(), staleAfterMs: api.staleAfterMs, stored: (sensorId) => bySensor.get(sensorId) }),
    });
  });
  agentSensors.get('/:id/sensors/:sensor/history', (c) => {
    const id = known(api, c.req.param('id'));
    const sensor = c.req.param('sensor');
    const { page_size, page_token } = readQuery(c, HistoryQuery);
    const route = `sensor-history/${id}/${sensor}`;
    const beforeId = page_token === undefined ? undefined : Number(tokens.read(route, {}, page_token));
    const rows = api.readings.history(id, sensor, { beforeId, limit: page_size + 1 });
    const page = rows.slice(0, page_size);
    const last = page.at(-1);
    return c.json({
      agent_id: id,
      sensor_id: sensor,
      readings: page.map(readingJson),
      ...(rows.length > page_size && last !== undefined ? { next_page_token: tokens.issue(route, {}, String(last.id)) } : {}),
    });
  });
  return { sensors, agentSensors };
}

function known(api: SensorsApi, id: string): string {
  if (api.agent(id) === undefined) throw new ApiError(404, 'NOT_FOUND', 'Unknown agent', `no agent "${id}" in this lead's registry`);
  return id;
}
