import { describe, expect, it } from 'vitest';
import { sensorHealth, type StoredSensor } from './sensor-health.js';

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

describe('sensor health from the heartbeat summary', () => {
  const stored: Record<string, StoredSensor> = {
    temp: { kind: 'onewire.temperature', seq: 9 },
    door: { kind: 'gpio.input', seq: 4 },
    probe: { kind: 'onewire.temperature', seq: 2 },
  };
  const judge = (summary: Parameters<typeof sensorHealth>[0]['summary']) =>
    sensorHealth({ reportedAt: NOW - 1_000, summary }, { now: NOW, staleAfterMs: 10 * MINUTE, stored: (id) => stored[id] });

  it('flags a failed reading as failing, an old periodic reading as stale, and never an old input', () => {
    const health = judge([
      { sensor_id: 'temp', value: 21.5, unit: 'C', sampled_at: NOW - 11 * MINUTE, seq: 9 },
      { sensor_id: 'door', value: true, sampled_at: NOW - 600 * MINUTE, seq: 4 },
      { sensor_id: 'probe', value: null, sampled_at: NOW - MINUTE, seq: 2 },
    ]);
    expect(health.sensors.map((s) => [s.sensor_id, s.status, s.age_ms])).toEqual([
      ['temp', 'stale', 11 * MINUTE],
      ['door', 'ok', 600 * MINUTE],
      ['probe', 'failing', MINUTE],
    ]);
    expect(health).toMatchObject({ reported_at: NOW - 1_000, ok: 1, stale: 1, failing: 1 });
    expect(health.sensors[0]).toMatchObject({ kind: 'onewire.temperature', unit: 'C', behind: 0 });
  });

  it('counts readings the agent took that the lead has not stored; a sensor the lead never heard of is periodic', () => {
    const health = judge([
      { sensor_id: 'temp', value: 22, sampled_at: NOW - MINUTE, seq: 12 },
      { sensor_id: 'fan', value: 3, sampled_at: NOW - 20 * MINUTE, seq: 4 },
      // A wiped agent counts from 0 again: nothing is missing.
      { sensor_id: 'door', value: false, sampled_at: NOW, seq: 0 },
    ]);
    expect(health.sensors.map((s) => [s.sensor_id, s.behind, s.status, s.kind])).toEqual([
      ['temp', 3, 'ok', 'onewire.temperature'],
      ['fan', 5, 'stale', null],
      ['door', 0, 'ok', 'gpio.input'],
    ]);
  });
});
