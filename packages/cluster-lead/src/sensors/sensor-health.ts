/**
 * Sensor health from what the agent's heartbeat says about its sensors (their last values),
 * beside what the lead has stored: `failing` when the last reading has no value (CRC failure,
 * sensor gone, command failed), `stale` when a periodic sensor (1-Wire, command) has not been
 * read for longer than the configured age, `behind` when the agent has taken readings (its
 * seq) that the lead has not stored yet (they wait in the agent's outbox, or were lost).
 * Inputs and outputs report on change only, so an old reading of theirs is not stale.
 */
import type { SensorSummary } from '@mesh30k/shared';

/** Ten minutes: a few missed intervals of a sensor read every minute or two. */
export const DEFAULT_SENSOR_STALE_AFTER_MS = 600_000;

export type SensorStatus = 'ok' | 'failing' | 'stale';

/** What the lead stored for one of the agent's sensors (its latest reading). */
export interface StoredSensor {
  kind: string;
  seq: number;
}

export interface SensorHealthOptions {
  /** Lead clock now (mesh time). */
  now: number;
  /** A periodic sensor not read for longer than this is stale. */
  staleAfterMs: number;
  stored: (sensorId: string) => StoredSensor | undefined;
}

export interface SensorHealthEntry {
  sensor_id: string;
  kind: string | null;
  value: SensorSummary['value'];
  unit?: string;
  sampled_at: number;
  seq: number;
  age_ms: number;
  status: SensorStatus;
  /** Readings the agent took that the lead has not stored (0 when it cannot tell). */
  behind: number;
}

export interface SensorHealth {
  /** Lead clock when the heartbeat carrying the summary arrived. */
  reported_at: number;
  ok: number;
  failing: number;
  stale: number;
  sensors: SensorHealthEntry[];
}

const EVENT_KINDS: ReadonlySet<string> = new Set(['gpio.input', 'gpio.output']);

export function sensorHealth(report: { reportedAt: number; summary: readonly SensorSummary[] }, options: SensorHealthOptions): SensorHealth {
  const counts = { ok: 0, failing: 0, stale: 0 };
  const sensors = report.summary.map((s): SensorHealthEntry => {
    const stored = options.stored(s.sensor_id);
    const age = Math.max(0, options.now - s.sampled_at);
    const status: SensorStatus = s.value === null ? 'failing' : age > options.staleAfterMs && !EVENT_KINDS.has(stored?.kind ?? '') ? 'stale' : 'ok';
    counts[status] += 1;
    return {
      sensor_id: s.sensor_id,
      kind: stored?.kind ?? null,
      value: s.value,
      ...(s.unit === undefined ? {} : { unit: s.unit }),
      sampled_at: s.sampled_at,
      seq: s.seq,
      age_ms: age,
      status,
      // Seq keeps counting across restarts; after a wipe it restarts and this reads 0.
      behind: stored === undefined ? s.seq + 1 : Math.max(0, s.seq - stored.seq),
    };
  });
  return { reported_at: report.reportedAt, ...counts, sensors };
}
