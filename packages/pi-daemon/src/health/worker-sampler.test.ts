import { execFileSync } from 'node:child_process';
import { chmod, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SystemHealth } from '@mesh30k/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/harness/index.js';
import type { TempDir } from '../../../../test/harness/index.js';
import { createLogger } from '../logging/index.js';
import { EMPTY_HEALTH, WorkerHealthSampler, staticHealthSampler } from './index.js';
import type { HealthCommands, HealthPaths, WorkerHealthSamplerOptions } from './index.js';

let dir: TempDir;
let paths: HealthPaths;
let commands: HealthCommands;
const samplers: WorkerHealthSampler[] = [];

async function script(name: string, body: string): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

beforeEach(async () => {
  dir = await makeTempDir('mesh30k-health-');
  const thermal = join(dir.path, 'thermal');
  await mkdir(join(thermal, 'thermal_zone0'), { recursive: true });
  await mkdir(join(thermal, 'thermal_zone1'));
  await writeFile(join(thermal, 'thermal_zone0', 'type'), 'gpu-thermal\n');
  await writeFile(join(thermal, 'thermal_zone0', 'temp'), '200000\n'); // out of range: ignored
  await writeFile(join(thermal, 'thermal_zone1', 'type'), 'cpu-thermal\n');
  await writeFile(join(thermal, 'thermal_zone1', 'temp'), '48500\n');
  paths = {
    thermalDir: thermal,
    throttledFile: join(dir.path, 'get_throttled'),
    procStat: join(dir.path, 'stat'),
    meminfo: join(dir.path, 'meminfo'),
    uptime: join(dir.path, 'uptime'),
    timesyncFile: join(dir.path, 'synchronized'),
    diskPath: dir.path,
  };
  await writeFile(paths.throttledFile, '0x50005\n');
  await writeFile(paths.procStat, 'cpu  100 0 100 700 100 0 0 0 0 0\n');
  await writeFile(paths.meminfo, 'MemTotal:        1000 kB\nMemFree:          100 kB\nMemAvailable:     250 kB\n');
  await writeFile(paths.uptime, '12345.67 40000.00\n');
  commands = {
    vcgencmd: await script('vcgencmd', 'echo throttled=0x0'),
    timedatectl: await script('timedatectl', '[ "$*" = "show -p NTPSynchronized --value" ] && echo yes'),
  };
});

afterEach(async () => {
  for (const sampler of samplers.splice(0)) await sampler.stop();
  await dir.dispose();
});

function sampler(overrides: Partial<WorkerHealthSamplerOptions> = {}): WorkerHealthSampler {
  const created = new WorkerHealthSampler({ intervalMs: 3_600_000, metricTimeoutMs: 1_000, paths, commands, useSysteminformation: false, ...overrides });
  samplers.push(created);
  return created;
}

describe('WorkerHealthSampler', () => {
  it('reads every metric from the files and commands it is pointed at', async () => {
    const health = sampler();
    expect(health.latest()).toEqual(EMPTY_HEALTH);
    health.start();
    const first = await health.sampleNow();
    expect(first).toMatchObject({
      cpu_load_pct: null, // the first reading covers the time since boot
      temperature_c: 48.5,
      memory_used_pct: 75,
      uptime_s: 12345.67,
      ntp_synchronized: true,
    });
    expect(first.throttle).toMatchObject({ raw: 0x50005, under_voltage: true, throttled: true, under_voltage_since_boot: true, throttled_since_boot: true, freq_capped: false });
    expect(first.disk_used_pct).toBeGreaterThanOrEqual(0);
    expect(first.disk_used_pct).toBeLessThanOrEqual(100);
    expect(health.latest()).toBe(first);

    await writeFile(paths.procStat, 'cpu  200 0 200 800 200 0 0 0 0 0\n');
    const second = await health.sampleNow();
    expect(second.cpu_load_pct).toBe(50);
    expect(SystemHealth.parse(second)).toEqual(second);
  });

  it('falls back to vcgencmd and to the timesyncd flag file', async () => {
    await rm(paths.throttledFile);
    await writeFile(paths.timesyncFile, '');
    const health = sampler({ commands: { vcgencmd: await script('vcgencmd-2', 'echo throttled=0x50005'), timedatectl: join(dir.path, 'no-such-command') } });
    const sample = await health.sampleNow();
    expect(sample.throttle?.raw).toBe(0x50005);
    expect(sample.ntp_synchronized).toBe(true);
  });

  it('reports a metric it cannot read as null', async () => {
    const missing = join(dir.path, 'missing');
    const health = sampler({
      paths: { ...paths, thermalDir: missing, throttledFile: missing, procStat: missing, meminfo: missing, uptime: missing, diskPath: missing },
      commands: { vcgencmd: missing, timedatectl: missing },
    });
    const sample = await health.sampleNow();
    expect(sample).toMatchObject({ cpu_load_pct: null, temperature_c: null, memory_used_pct: null, disk_used_pct: null, throttle: null, ntp_synchronized: null });
    expect(sample.uptime_s).toBeGreaterThan(0); // os.uptime() stands in for /proc/uptime
  });

  it('gives null for a command that hangs, and keeps the other metrics', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line) => void lines.push(line) }, journald: false });
    const health = sampler({ metricTimeoutMs: 300, logger, commands: { ...commands, timedatectl: await script('timedatectl-hang', 'exec sleep 30') } });
    const sample = await health.sampleNow();
    expect(sample.ntp_synchronized).toBeNull();
    expect(sample.temperature_c).toBe(48.5);
    expect(sample.throttle?.raw).toBe(0x50005);
    const event = lines.map((line) => JSON.parse(line) as { event: string; missing: string[]; failures: Record<string, string> }).find((e) => e.event === 'health.metric_timeout');
    expect(event?.missing).toEqual(['ntp']);
    expect(event?.failures.ntp).toMatch(/timed out/);
  });

  it('answers latest() at once while the worker is blocked, closes the round at its deadline, and replaces a stuck worker', async () => {
    const fifo = join(paths.thermalDir, 'thermal_zone1', 'temp');
    await rm(fifo);
    execFileSync('mkfifo', [fifo]); // reading it blocks the worker thread until someone writes
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line) => void lines.push(line) }, journald: false });
    const health = sampler({ metricTimeoutMs: 200, maxBusyTicks: 2, logger });

    health.start();
    const stuck = await health.sampleNow();
    expect(health.busy).toBe(true);
    expect(health.latest()).toBe(stuck);
    // What was read before the blocking file arrived; the rest is null.
    expect(stuck).toMatchObject({ memory_used_pct: 75, uptime_s: 12345.67, temperature_c: null, throttle: null, ntp_synchronized: null });

    expect(await health.sampleNow()).toBe(stuck); // still busy: the tick is skipped
    const replaced = await health.sampleNow(); // second busy tick: a new worker (which blocks too)
    expect(replaced).toMatchObject({ memory_used_pct: 75, temperature_c: null });
    expect(lines.some((line) => line.includes('"event":"health.worker_restarted"'))).toBe(true);

    // Release the readers: a writer opens the FIFO (which unblocks every reader in open()),
    // a regular file takes its name (for a reader that had not reached it yet), then EOF.
    const writer = await open(fifo, 'w');
    await rm(fifo);
    await writeFile(fifo, '47000\n');
    await writer.write('47000\n');
    await writer.close();
    await health.whenIdle();
    expect(health.busy).toBe(false);
    const recovered = await health.sampleNow();
    expect(recovered.temperature_c).toBe(47);
    expect(recovered.cpu_load_pct).toBeNull(); // /proc/stat did not move
  });

  it('samples the real host without crashing, every value null or in range', async () => {
    const health = new WorkerHealthSampler({ intervalMs: 3_600_000, metricTimeoutMs: 5_000, paths: { diskPath: dir.path } });
    samplers.push(health);
    const first = await health.sampleNow();
    const second = await health.sampleNow();
    expect(SystemHealth.parse(first)).toEqual(first);
    expect(SystemHealth.parse(second)).toEqual(second);
    expect(first.cpu_load_pct).toBeNull();
    expect(first.uptime_s).toBeGreaterThan(0);
    expect(second.memory_used_pct).toBeGreaterThan(0);
  });
});

describe('staticHealthSampler', () => {
  it('always reports the health it was given', async () => {
    const given = { ...EMPTY_HEALTH, temperature_c: 41, cpu_load_pct: 3 };
    const health = staticHealthSampler(given);
    health.start();
    expect(health.latest()).toEqual(given);
    expect(Object.isFrozen(health.latest())).toBe(true);
    await health.stop();
    expect(() => staticHealthSampler({ ...EMPTY_HEALTH, temperature_c: 400 })).toThrow();
  });
});
