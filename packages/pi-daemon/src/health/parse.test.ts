import { describe, expect, it } from 'vitest';
import { CpuLoadTracker, EMPTY_HEALTH, healthFromReadings } from './worker-protocol.js';
import {
  checkTemperature,
  cpuLoadBetween,
  diskUsedPercent,
  ntpSynchronized,
  parseProcStat,
  parseThrottled,
  parseUptime,
  temperatureFromZones,
} from './parse.js';

describe('health parsing', () => {
  it('range-checks temperatures', () => {
    expect(checkTemperature(48.5)).toBe(48.5);
    expect(checkTemperature(-40)).toBe(-40);
    expect(checkTemperature(125)).toBe(125);
    expect(checkTemperature(125.1)).toBeNull();
    expect(checkTemperature(-41)).toBeNull();
    expect(checkTemperature(Number.NaN)).toBeNull();
    expect(checkTemperature(null)).toBeNull();
  });

  it('prefers a sane CPU thermal zone, then any sane zone', () => {
    expect(temperatureFromZones([{ type: 'gpu-thermal\n', temp: '51000\n' }, { type: 'cpu-thermal\n', temp: '47250\n' }])).toBe(47.25);
    expect(temperatureFromZones([{ type: 'cpu-thermal', temp: '999999' }, { type: 'other', temp: '30000' }])).toBe(30);
    expect(temperatureFromZones([{ type: 'cpu-thermal', temp: 'garbage' }, { type: null, temp: null }])).toBeNull();
    expect(temperatureFromZones([])).toBeNull();
  });

  it('decodes get_throttled from sysfs and from vcgencmd', () => {
    const fromSysfs = parseThrottled('50005\n');
    expect(fromSysfs).toMatchObject({ raw: 0x50005, under_voltage: true, throttled: true, freq_capped: false, under_voltage_since_boot: true, throttled_since_boot: true });
    expect(parseThrottled('throttled=0x50005\n')).toEqual(fromSysfs);
    expect(parseThrottled('0x0')).toMatchObject({ raw: 0, under_voltage: false });
    expect(parseThrottled('throttled=banana')).toBeNull();
    expect(parseThrottled('')).toBeNull();
    expect(parseThrottled(null)).toBeNull();
  });

  it('computes CPU load between two /proc/stat readings', () => {
    const first = parseProcStat('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n');
    const second = parseProcStat('cpu  200 0 200 800 200 0 0 0 0 0\n');
    expect(first).toEqual({ idle: 800, total: 1000 });
    expect(cpuLoadBetween(first!, second!)).toBe(50);
    expect(cpuLoadBetween(second!, second!)).toBeNull();
    expect(parseProcStat('intr 1 2 3')).toBeNull();
  });

  it('discards the first CPU sample, from /proc/stat and from systeminformation alike', () => {
    const tracker = new CpuLoadTracker();
    expect(tracker.next({ procStat: 'cpu 10 0 10 80 0 0 0 0', loadPct: null })).toBeNull();
    expect(tracker.next({ procStat: 'cpu 20 0 20 160 0 0 0 0', loadPct: null })).toBe(20);
    const library = new CpuLoadTracker();
    expect(library.next({ procStat: null, loadPct: 3 })).toBeNull();
    expect(library.next({ procStat: null, loadPct: 42 })).toBe(42);
    library.resetLibrary();
    expect(library.next({ procStat: null, loadPct: 42 })).toBeNull();
  });

  it('reads disk, uptime and NTP answers', () => {
    expect(diskUsedPercent({ blocks: 1000, bfree: 300, bavail: 200 })).toBeCloseTo(77.78, 2);
    expect(diskUsedPercent({ blocks: 0, bfree: 0, bavail: 0 })).toBeNull();
    expect(parseUptime('12345.67 40000.00\n')).toBe(12345.67);
    expect(parseUptime('up')).toBeNull();
    expect(ntpSynchronized('yes\n', false)).toBe(true);
    expect(ntpSynchronized('no\n', true)).toBe(false);
    expect(ntpSynchronized(null, true)).toBe(true);
    expect(ntpSynchronized(null, false)).toBeNull();
  });

  it('makes a sample of nulls from no readings, and drops what is out of range', () => {
    expect(healthFromReadings({}, new CpuLoadTracker())).toEqual(EMPTY_HEALTH);
    const health = healthFromReadings({ uptime: { text: null, os: 1e12 } }, new CpuLoadTracker());
    expect(health.uptime_s).toBeNull();
  });
});
