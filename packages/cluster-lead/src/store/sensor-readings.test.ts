import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import Database from 'better-sqlite3';
import { LeadStore, MIGRATIONS, SensorReadings, databasePath, migrate, type SensorReadingRow } from './index.js';

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
  bootId: 'boot-a',
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

  it('tells a wiped agent (a new boot, seq from 0 again) from a redelivery (same boot and seq)', () => {
    for (let seq = 0; seq < 3; seq++) expect(store.sensors.record(reading(seq))).toBe(true);
    // Redelivered from the outbox, even after a restart: the same boot id travels with it.
    expect(store.sensors.record(reading(1))).toBe(false);
    // Wiped: seq 0 and 1 again, taken later, under a new boot.
    const wiped = (seq: number) => reading(seq, { bootId: 'boot-b', value: 90 + seq, sampledAt: 1_800_000_100_000 + seq });
    expect(store.sensors.record(wiped(0))).toBe(true);
    expect(store.sensors.record(wiped(1))).toBe(true);
    expect(store.sensors.record(wiped(1))).toBe(false);
    expect(store.sensors.latest({ agentId: 'pi-1', limit: 10 }).map((r) => [r.bootId, r.seq, r.value])).toEqual([['boot-b', 1, 91]]);
    // A late reading of the old boot, taken before the new boot's, does not replace the latest.
    expect(store.sensors.record(reading(3))).toBe(true);
    expect(store.sensors.latest({ agentId: 'pi-1', limit: 10 })[0]?.value).toBe(91);
    expect(store.sensors.history('pi-1', 'temp', { limit: 10 }).map((r) => `${r.bootId}/${r.seq}`)).toEqual(['boot-a/3', 'boot-b/1', 'boot-b/0', 'boot-a/2', 'boot-a/1', 'boot-a/0']);
  });

  it('keeps the readings of a database from before boot ids (migration 6), under the empty boot id', () => {
    store.close();
    const oldDir = join(dir.path, 'old');
    mkdirSync(oldDir);
    const old = new Database(databasePath(oldDir));
    migrate(old, MIGRATIONS.slice(0, 3));
    old.prepare(`INSERT INTO sensor_history (agent_id, sensor_id, sensor_kind, value, unit, error, sampled_at, seq, received_at) VALUES ('pi-1', 'temp', 'onewire.temperature', '21', 'C', NULL, 1, 5, 2)`).run();
    old.close();
    store = LeadStore.open(oldDir, { busyTimeoutMs: 1_000 });
    expect(store.sensors.history('pi-1', 'temp', { limit: 10 }).map((r) => [r.bootId, r.seq, r.value])).toEqual([['', 5, 21]]);
    expect(store.sensors.record(reading(5, { bootId: '' }))).toBe(false);
    expect(store.sensors.record(reading(5))).toBe(true);
  });

  it('takes its history bound from the store options (the lead config)', () => {
    store.close();
    store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000, sensorHistoryPerSensor: 2 });
    for (let seq = 0; seq < 4; seq++) store.sensors.record(reading(seq));
    expect(store.sensors.history('pi-1', 'temp', { limit: 10 }).map((r) => r.seq)).toEqual([3, 2]);
  });
});
