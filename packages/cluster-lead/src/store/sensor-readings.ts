/**
 * Field sensor readings as the agents sent them (SENSOR_EVENT): the latest per (agent, sensor)
 * and a bounded history per sensor, oldest rows trimmed as new ones arrive. A reading is kept
 * once per (agent, sensor, boot, seq), so a redelivery from an agent's outbox changes nothing,
 * while an agent whose state was wiped (seq from 0 again, a new boot) is heard.
 */
import type { Db } from './database.js';

export const DEFAULT_HISTORY_PER_SENSOR = 1_000;

export interface SensorReadingRow {
  agentId: string;
  sensorId: string;
  sensorKind: string;
  value: unknown;
  unit: string | null;
  error: string | null;
  sampledAt: number;
  seq: number;
  /** The agent's boot when it took the reading; '' when the agent sent none. */
  bootId: string;
  receivedAt: number;
}

export interface StoredReading extends SensorReadingRow {
  /** History position, for paging. */
  id: number;
}

interface Row {
  id?: number;
  agent_id: string;
  sensor_id: string;
  sensor_kind: string;
  value: string;
  unit: string | null;
  error: string | null;
  sampled_at: number;
  seq: number;
  boot_id: string;
  received_at: number;
}

const fromRow = (row: Row): StoredReading => ({
  id: row.id ?? 0,
  agentId: row.agent_id,
  sensorId: row.sensor_id,
  sensorKind: row.sensor_kind,
  value: JSON.parse(row.value) as unknown,
  unit: row.unit,
  error: row.error,
  sampledAt: row.sampled_at,
  seq: row.seq,
  bootId: row.boot_id,
  receivedAt: row.received_at,
});

export class SensorReadings {
  private readonly statements;
  private readonly recordTx: (reading: SensorReadingRow) => boolean;

  constructor(
    db: Db,
    private readonly historyPerSensor = DEFAULT_HISTORY_PER_SENSOR,
  ) {
    this.statements = {
      history: db.prepare(
        `INSERT INTO sensor_history (agent_id, sensor_id, sensor_kind, value, unit, error, sampled_at, seq, boot_id, received_at)
         VALUES (@agent_id, @sensor_id, @sensor_kind, @value, @unit, @error, @sampled_at, @seq, @boot_id, @received_at)
         ON CONFLICT (agent_id, sensor_id, boot_id, seq) DO NOTHING`,
      ),
      // The newest wins, so readings delivered late from an outbox do not overwrite newer ones:
      // by seq within one boot; across boots (seq may have restarted from 0) by sampled_at.
      latest: db.prepare(
        `INSERT INTO sensor_latest (agent_id, sensor_id, sensor_kind, value, unit, error, sampled_at, seq, boot_id, received_at)
         VALUES (@agent_id, @sensor_id, @sensor_kind, @value, @unit, @error, @sampled_at, @seq, @boot_id, @received_at)
         ON CONFLICT (agent_id, sensor_id) DO UPDATE SET sensor_kind = excluded.sensor_kind, value = excluded.value, unit = excluded.unit,
           error = excluded.error, sampled_at = excluded.sampled_at, seq = excluded.seq, boot_id = excluded.boot_id, received_at = excluded.received_at
         WHERE (excluded.boot_id = sensor_latest.boot_id AND excluded.seq > sensor_latest.seq)
            OR (excluded.boot_id <> sensor_latest.boot_id AND excluded.sampled_at >= sensor_latest.sampled_at)`,
      ),
      trim: db.prepare(
        `DELETE FROM sensor_history WHERE agent_id = ? AND sensor_id = ? AND id <= (
           SELECT id FROM sensor_history WHERE agent_id = ? AND sensor_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      ),
      latestPage: db.prepare<[string, string, string, number], Row>(
        `SELECT * FROM sensor_latest WHERE (? = '' OR agent_id = ?) AND (agent_id || char(0) || sensor_id) > ? ORDER BY agent_id, sensor_id LIMIT ?`,
      ),
      historyPage: db.prepare<[string, string, number, number], Row>('SELECT * FROM sensor_history WHERE agent_id = ? AND sensor_id = ? AND id < ? ORDER BY id DESC LIMIT ?'),
      count: db.prepare('SELECT COUNT(*) FROM sensor_latest').pluck(),
    };
    this.recordTx = db.transaction((reading: SensorReadingRow) => {
      const row = {
        agent_id: reading.agentId,
        sensor_id: reading.sensorId,
        sensor_kind: reading.sensorKind,
        value: JSON.stringify(reading.value ?? null),
        unit: reading.unit,
        error: reading.error,
        sampled_at: reading.sampledAt,
        seq: reading.seq,
        boot_id: reading.bootId,
        received_at: reading.receivedAt,
      };
      if (this.statements.history.run(row).changes === 0) return false;
      this.statements.latest.run(row);
      this.statements.trim.run(reading.agentId, reading.sensorId, reading.agentId, reading.sensorId, this.historyPerSensor);
      return true;
    });
  }

  /** True when new; false for a reading (agent, sensor, boot, seq) already stored. */
  record(reading: SensorReadingRow): boolean {
    return this.recordTx(reading);
  }

  /** Latest readings ordered by (agent, sensor), after `cursor` (`agent\0sensor`), optionally one agent's. */
  latest(options: { agentId?: string | undefined; after?: string | undefined; limit: number }): StoredReading[] {
    const agent = options.agentId ?? '';
    return this.statements.latestPage.all(agent, agent, options.after ?? '', options.limit).map(fromRow);
  }

  /** One sensor's history, newest first, before history id `beforeId`. */
  history(agentId: string, sensorId: string, options: { beforeId?: number | undefined; limit: number }): StoredReading[] {
    return this.statements.historyPage.all(agentId, sensorId, options.beforeId ?? Number.MAX_SAFE_INTEGER, options.limit).map(fromRow);
  }

  count(): number {
    return this.statements.count.get() as number;
  }
}
