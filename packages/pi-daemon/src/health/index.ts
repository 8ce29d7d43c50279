export { WorkerHealthSampler } from './worker-sampler.js';
export type { WorkerHealthSamplerOptions } from './worker-sampler.js';
export { staticHealthSampler } from './static-sampler.js';
export { DEFAULT_HEALTH_COMMANDS, DEFAULT_HEALTH_PATHS, EMPTY_HEALTH, METRIC_NAMES } from './worker-protocol.js';
export type { HealthCommands, HealthPaths, MetricName } from './worker-protocol.js';
export {
  MAX_TEMPERATURE_C,
  MIN_TEMPERATURE_C,
  checkTemperature,
  cpuLoadBetween,
  diskUsedPercent,
  ntpSynchronized,
  parseProcStat,
  parseThrottled,
  parseUptime,
  temperatureFromZones,
} from './parse.js';
