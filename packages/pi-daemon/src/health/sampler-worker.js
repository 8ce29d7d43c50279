/**
 * The health sampler's worker thread. It only reads: files under /proc and /sys, a few
 * commands, and systeminformation as a fallback, all of which may block the thread they run
 * on. It posts raw readings, one message per metric as soon as each is read; the main
 * thread parses them (worker-protocol.ts describes the messages) and enforces the deadlines
 * this thread cannot enforce on itself while a read blocks it.
 *
 * Plain JavaScript on purpose: a worker thread cannot load TypeScript without a loader on
 * Node 20, and this file must run the same in tests, under tsx and in a build.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statfsSync } from 'node:fs';
import { uptime as osUptime } from 'node:os';
import { join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';

const config = workerData;
const ZONE_PATTERN = /^thermal_zone\d+$/;
const MAX_COMMAND_OUTPUT = 64 * 1024;
let systeminformation;

async function si() {
  if (!config.useSysteminformation) return null;
  systeminformation ??= (await import('systeminformation')).default;
  return systeminformation;
}

function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

// A command that is missing or fails answers null (the metric is unknown); one that hangs is
// killed at the metric's deadline and fails the metric as timed out, as withTimeout would.
function run(command, args) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: config.metricTimeoutMs, maxBuffer: MAX_COMMAND_OUTPUT, encoding: 'utf8' }, (error, stdout) => {
      if (error && error.killed) reject(new Error(`timed out after ${config.metricTimeoutMs} ms: ${command}`));
      else resolve(error ? null : stdout);
    });
  });
}

function readZones(dir) {
  let names;
  try {
    names = readdirSync(dir).filter((name) => ZONE_PATTERN.test(name));
  } catch {
    return [];
  }
  names.sort((a, b) => Number(a.slice('thermal_zone'.length)) - Number(b.slice('thermal_zone'.length)));
  return names.map((name) => ({ type: readText(join(dir, name, 'type')), temp: readText(join(dir, name, 'temp')) }));
}

// In this order: the cheap file reads first, commands and systeminformation last, so a slow
// command costs only the metrics after it.
const collectors = {
  async uptime() {
    return { text: readText(config.paths.uptime), os: osUptime() };
  },
  async memory() {
    const meminfo = readText(config.paths.meminfo);
    if (meminfo !== null) return { meminfo, total: null, available: null };
    const lib = await si();
    const mem = lib ? await lib.mem() : null;
    return { meminfo: null, total: mem?.total ?? null, available: mem?.available ?? null };
  },
  async cpu() {
    const procStat = readText(config.paths.procStat);
    if (procStat !== null) return { procStat, loadPct: null };
    const lib = await si();
    const load = lib ? await lib.currentLoad() : null;
    return { procStat: null, loadPct: typeof load?.currentLoad === 'number' ? load.currentLoad : null };
  },
  async disk() {
    const stats = statfsSync(config.paths.diskPath);
    return { blocks: Number(stats.blocks), bfree: Number(stats.bfree), bavail: Number(stats.bavail) };
  },
  async temperature() {
    const zones = readZones(config.paths.thermalDir);
    const anyNumber = zones.some((zone) => zone.temp !== null && /^\s*-?\d+\s*$/.test(zone.temp));
    if (anyNumber) return { zones, fallbackC: null };
    const lib = await si();
    const reading = lib ? await lib.cpuTemperature() : null;
    return { zones, fallbackC: typeof reading?.main === 'number' ? reading.main : null };
  },
  async throttle() {
    const text = readText(config.paths.throttledFile);
    if (text !== null) return { text };
    return { text: await run(config.commands.vcgencmd, ['get_throttled']) };
  },
  async ntp() {
    const answer = await run(config.commands.timedatectl, ['show', '-p', 'NTPSynchronized', '--value']);
    return { timedatectl: answer, syncFile: existsSync(config.paths.timesyncFile) };
  },
};

function withTimeout(promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${config.metricTimeoutMs} ms`)), config.metricTimeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function sample(round) {
  for (const [name, collect] of Object.entries(collectors)) {
    try {
      const raw = await withTimeout(collect());
      parentPort.postMessage({ type: 'metric', round, name, raw, error: null });
    } catch (error) {
      parentPort.postMessage({ type: 'metric', round, name, raw: null, error: error instanceof Error ? error.message : String(error) });
    }
  }
  parentPort.postMessage({ type: 'done', round });
}

parentPort.on('message', (message) => {
  if (message && message.type === 'sample' && Number.isInteger(message.round)) void sample(message.round);
});
