/**
 * Messages between the sampler and its worker (sampler-worker.js), and how a round's raw
 * readings become a SystemHealth. The worker is untyped JavaScript, so what it posts is
 * checked here before use.
 */
import { SystemHealth } from '@mesh30k/shared';
import type { SystemHealth as SystemHealthType } from '@mesh30k/shared';
import { z } from 'zod';
import {
  checkTemperature,
  cpuLoadBetween,
  diskUsedPercent,
  memoryUsedFromCounts,
  memoryUsedFromMeminfo,
  ntpSynchronized,
  parseProcStat,
  parseThrottled,
  parseUptime,
  temperatureFromZones,
} from './parse.js';
import type { CpuTimes } from './parse.js';

export const METRIC_NAMES = ['uptime', 'memory', 'cpu', 'disk', 'temperature', 'throttle', 'ntp'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

const text = z.string().nullable();
const count = z.number().finite().nullable();

export const RawReadings = z.object({
  uptime: z.object({ text, os: count }),
  memory: z.object({ meminfo: text, total: count, available: count }),
  cpu: z.object({ procStat: text, loadPct: count }),
  disk: z.object({ blocks: z.number(), bfree: z.number(), bavail: z.number() }),
  temperature: z.object({ zones: z.array(z.object({ type: text, temp: text })), fallbackC: count }),
  throttle: z.object({ text }),
  ntp: z.object({ timedatectl: text, syncFile: z.boolean() }),
});
export type RawReadings = z.infer<typeof RawReadings>;

export const WorkerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('metric'), round: z.number().int(), name: z.enum(METRIC_NAMES), raw: z.unknown(), error: z.string().nullable() }),
  z.object({ type: z.literal('done'), round: z.number().int() }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessage>;

export type Readings = { [K in MetricName]?: RawReadings[K] };

/** Paths the worker reads; injectable so tests point them at temp files. */
export interface HealthPaths {
  /** Directory holding thermal_zone<N>/{type,temp}. */
  thermalDir: string;
  /** The firmware's get_throttled (hex). */
  throttledFile: string;
  procStat: string;
  meminfo: string;
  uptime: string;
  /** Created by systemd-timesyncd once the clock is synchronised. */
  timesyncFile: string;
  /** A path on the file system whose fullness is reported (the data directory). */
  diskPath: string;
}

export interface HealthCommands {
  vcgencmd: string;
  timedatectl: string;
}

export const DEFAULT_HEALTH_PATHS: HealthPaths = {
  thermalDir: '/sys/class/thermal',
  throttledFile: '/sys/devices/platform/soc/soc:firmware/get_throttled',
  procStat: '/proc/stat',
  meminfo: '/proc/meminfo',
  uptime: '/proc/uptime',
  timesyncFile: '/run/systemd/timesync/synchronized',
  diskPath: '/',
};

export const DEFAULT_HEALTH_COMMANDS: HealthCommands = { vcgencmd: 'vcgencmd', timedatectl: 'timedatectl' };

export interface WorkerConfig {
  paths: HealthPaths;
  commands: HealthCommands;
  metricTimeoutMs: number;
  useSysteminformation: boolean;
}

export const EMPTY_HEALTH: SystemHealthType = Object.freeze({
  cpu_load_pct: null,
  temperature_c: null,
  memory_used_pct: null,
  disk_used_pct: null,
  throttle: null,
  uptime_s: null,
  ntp_synchronized: null,
});

/**
 * CPU load needs two readings; the first one after start covers the time since boot (or,
 * from systeminformation, since its own first call) and is discarded.
 */
export class CpuLoadTracker {
  private previous: CpuTimes | null = null;
  private libraryPrimed = false;

  /** Call when the worker is replaced: its systeminformation state starts over. */
  resetLibrary(): void {
    this.libraryPrimed = false;
  }

  next(raw: RawReadings['cpu'] | undefined): number | null {
    if (raw === undefined) return null;
    const times = parseProcStat(raw.procStat);
    if (times !== null) {
      const previous = this.previous;
      this.previous = times;
      return previous === null ? null : cpuLoadBetween(previous, times);
    }
    if (raw.loadPct === null) return null;
    const primed = this.libraryPrimed;
    this.libraryPrimed = true;
    return primed ? Math.min(100, Math.max(0, raw.loadPct)) : null;
  }
}

/** One round's readings as a SystemHealth; a metric that did not arrive, or fails its range, is null. */
export function healthFromReadings(readings: Readings, cpu: CpuLoadTracker): SystemHealthType {
  const { uptime, memory, disk, temperature, throttle, ntp } = readings;
  const health: SystemHealthType = {
    cpu_load_pct: cpu.next(readings.cpu),
    temperature_c: temperature === undefined ? null : (temperatureFromZones(temperature.zones) ?? checkTemperature(temperature.fallbackC)),
    memory_used_pct: memory === undefined ? null : (memoryUsedFromMeminfo(memory.meminfo) ?? memoryUsedFromCounts(memory.total, memory.available)),
    disk_used_pct: diskUsedPercent(disk ?? null),
    throttle: parseThrottled(throttle?.text ?? null),
    uptime_s: uptime === undefined ? null : (parseUptime(uptime.text) ?? uptime.os),
    ntp_synchronized: ntp === undefined ? null : ntpSynchronized(ntp.timedatectl, ntp.syncFile),
  };
  // A last guard: whatever slipped through the parsers out of range is dropped, not sent.
  const checked = SystemHealth.safeParse(health);
  if (checked.success) return checked.data;
  const cleaned = { ...health } as Record<string, unknown>;
  for (const issue of checked.error.issues) {
    const key = issue.path[0];
    if (typeof key === 'string') cleaned[key] = null;
  }
  return cleaned as SystemHealthType;
}
