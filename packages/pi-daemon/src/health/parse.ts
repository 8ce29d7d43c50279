/**
 * Turns what the sampler worker read (file contents, command output) into health values.
 * Pure and cheap, so it runs on the main thread; anything implausible becomes null.
 */
import { decodeThrottled } from '@mesh30k/shared';
import type { ThrottleFlags } from '@mesh30k/shared';

export const MIN_TEMPERATURE_C = -40;
export const MAX_TEMPERATURE_C = 125;
const MILLIDEGREES = 1000;
const PERCENT = 100;
const MAX_THROTTLE_WORD = 0xffffffff;
/** thermal zone types that measure the SoC, preferred over others (Pi 4: cpu-thermal). */
const CPU_ZONE_TYPES = ['cpu-thermal', 'cpu_thermal', 'soc-thermal', 'soc_thermal', 'x86_pkg_temp'];

export interface RawThermalZone {
  type: string | null;
  /** Contents of the zone's `temp` file: millidegrees Celsius. */
  temp: string | null;
}

/** A temperature in Celsius if it is one a working sensor could report, else null. */
export function checkTemperature(celsius: number | null | undefined): number | null {
  if (celsius === null || celsius === undefined || !Number.isFinite(celsius)) return null;
  return celsius >= MIN_TEMPERATURE_C && celsius <= MAX_TEMPERATURE_C ? celsius : null;
}

/** The SoC temperature from thermal zones: a CPU zone if one reads sanely, else the first sane zone. */
export function temperatureFromZones(zones: readonly RawThermalZone[]): number | null {
  const readings = zones.map((zone) => ({
    type: zone.type?.trim().toLowerCase() ?? '',
    celsius: zone.temp === null || !/^\s*-?\d+\s*$/.test(zone.temp) ? null : checkTemperature(Number(zone.temp) / MILLIDEGREES),
  }));
  const sane = readings.filter((reading) => reading.celsius !== null);
  const cpu = sane.find((reading) => CPU_ZONE_TYPES.includes(reading.type));
  return (cpu ?? sane[0])?.celsius ?? null;
}

/**
 * The firmware's throttling word, from sysfs (`50005`, hex without prefix), or vcgencmd
 * (`throttled=0x50005`).
 */
export function parseThrottled(text: string | null): ThrottleFlags | null {
  if (text === null) return null;
  const match = /^\s*(?:throttled=)?(?:0x)?([0-9a-f]{1,8})\s*$/i.exec(text);
  if (!match?.[1]) return null;
  const raw = Number.parseInt(match[1], 16);
  return raw <= MAX_THROTTLE_WORD ? decodeThrottled(raw) : null;
}

export interface CpuTimes {
  idle: number;
  total: number;
}

/** The aggregate `cpu` line of /proc/stat: idle (+ iowait) and total jiffies. */
export function parseProcStat(text: string | null): CpuTimes | null {
  const line = text?.split('\n').find((candidate) => candidate.startsWith('cpu '));
  if (line === undefined) return null;
  // user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already in user.
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 4 || fields.some((value) => !Number.isFinite(value) || value < 0)) return null;
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { idle, total };
}

/** Busy percentage between two readings; null when time did not move forward. */
export function cpuLoadBetween(previous: CpuTimes, current: CpuTimes): number | null {
  const total = current.total - previous.total;
  const idle = current.idle - previous.idle;
  if (total <= 0 || idle < 0 || idle > total) return null;
  return clampPercent(((total - idle) / total) * PERCENT);
}

/** Used memory percentage from /proc/meminfo (MemTotal and MemAvailable). */
export function memoryUsedFromMeminfo(text: string | null): number | null {
  if (text === null) return null;
  const field = (name: string): number | null => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return match?.[1] === undefined ? null : Number(match[1]);
  };
  const total = field('MemTotal');
  const available = field('MemAvailable');
  if (total === null || available === null || total <= 0 || available > total) return null;
  return clampPercent(((total - available) / total) * PERCENT);
}

export function memoryUsedFromCounts(total: number | null, available: number | null): number | null {
  if (total === null || available === null || !(total > 0) || available < 0 || available > total) return null;
  return clampPercent(((total - available) / total) * PERCENT);
}

export interface FsCounts {
  blocks: number;
  bfree: number;
  bavail: number;
}

/** Used percentage as df(1) shows it: used / (used + available to unprivileged users). */
export function diskUsedPercent(counts: FsCounts | null): number | null {
  if (counts === null) return null;
  const used = counts.blocks - counts.bfree;
  const denominator = used + counts.bavail;
  if (!(denominator > 0) || used < 0) return null;
  return clampPercent((used / denominator) * PERCENT);
}

/** Seconds since boot, from the first number of /proc/uptime. */
export function parseUptime(text: string | null): number | null {
  const match = text === null ? null : /^\s*(\d+(?:\.\d+)?)/.exec(text);
  if (!match?.[1]) return null;
  const seconds = Number(match[1]);
  return Number.isFinite(seconds) ? seconds : null;
}

/**
 * Whether the clock is NTP-synchronised: timedatectl's `yes`/`no` when it answered, else the
 * flag file systemd-timesyncd creates once synchronised (its absence proves nothing: another
 * NTP client may be in use), else unknown.
 */
export function ntpSynchronized(timedatectl: string | null, syncFileExists: boolean | null): boolean | null {
  const answer = timedatectl?.trim().toLowerCase();
  if (answer === 'yes') return true;
  if (answer === 'no') return false;
  return syncFileExists === true ? true : null;
}

function clampPercent(value: number): number {
  return Math.min(PERCENT, Math.max(0, value));
}
