import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { LeadStore, SensorReadings, type SensorReadingRow } from './index.js';

let dir: TempDir;
let store: LeadStore;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-sensors-');
  store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
});
afterEach(async () => {
  store.close();
  await dir.dispose();
});

const reading = (seq: number, overrides: Partial<SensorReadingRow> = {}): SensorReadingRow => ({
  agentId: 'pi-1',
  sensorId: 'temp',
  sensorKind: 'onewire.temperature',
  value: 20 + seq,
  unit: 'C',
  error: null,
  sampledAt: 1_800_000_000_000 + seq,
  seq,
  receivedAt: 1_800_000_000_500 + seq,
  ...overrides,
});

describe('sensor readings', () => {
  it('keeps one reading per (agent, sensor, seq); a late, older reading does not replace the latest', () => {
    expect(store.sensors.record(reading(2))).toBe(true);
    expect(store.sensors.record(reading(2))).toBe(false);
    expect(store.sensors.record(reading(1))).toBe(true);
    expect(store.sensors.latest({ agentId: 'pi-1', limit: 10 }).map((r) => [r.seq, r.value])).toEqual([[2, 22]]);
    expect(store.sensors.history('pi-1', 'temp', { limit: 10 }).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('bounds each sensor\'s history, and pages latest readings by agent then sensor', () => {
    const small = new SensorReadings(store.db, 3);
    for (let seq = 0; seq < 5; seq++) small.record(reading(seq));
    small.record(reading(0, { sensorId: 'door', sensorKind: 'gpio.input', value: true }));
    small.record(reading(0, { agentId: 'pi-2' }));
    expect(small.history('pi-1', 'temp', { limit: 10 }).map((r) => r.seq)).toEqual([4, 3, 2]);
    const first = small.latest({ limit: 2 });
    expect(first.map((r) => `${r.agentId}/${r.sensorId}`)).toEqual(['pi-1/door', 'pi-1/temp']);
    expect(small.latest({ after: 'pi-1\u0000temp', limit: 2 }).map((r) => `${r.agentId}/${r.sensorId}`)).toEqual(['pi-2/temp']);
    expect(small.count()).toBe(3);
  });

  it('takes its history bound from the store options (the lead config)', () => {
    store.close();
    store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000, sensorHistoryPerSensor: 2 });
    for (let seq = 0; seq < 4; seq++) store.sensors.record(reading(seq));
    expect(store.sensors.history('pi-1', 'temp', { limit: 10 }).map((r) => r.seq)).toEqual([3, 2]);
  });
});
