import { MAX_DRIFT_COEFFICIENT, MAX_IMPEDANCE_SCORE, MAX_QUEUE_DEPTH } from '../impedance/agent-impedance.js';
import { PROTOCOL_VERSION } from './enums.js';
import { MAX_SENSORS } from './messages.js';
import { ID_PATTERN } from './primitives.js';

/**
 * A hand-written check of the Heartbeat schema (messages.ts), for the lead's per-beat path:
 * zod took about 13% of the lead's CPU at 6,000 beats/s (issue 15). The zod schema stays the
 * source of truth. This check only says yes when zod would accept the value and return it
 * unchanged (no unknown keys, which zod strips; no undefined optional keys). Anything else,
 * every bad heartbeat included, goes to zod, so refusals and their messages are zod's own.
 * heartbeat-fast-check.test.ts holds it to that with property tests.
 */
export function isPlainHeartbeat(raw: unknown): boolean {
  const o = raw as Record<string, unknown>;
  if (!isPlainObject(o)) return false;
  let optional = 0;
  if (!(o.v === PROTOCOL_VERSION && isMessageId(o.message_id) && isId(o.sender_id) && isEpochMs(o.created_at) && isDurationMs(o.ttl_ms))) return false;
  if (o.correlation_id !== undefined) {
    if (!isMessageId(o.correlation_id)) return false;
    optional++;
  }
  if (o.causation_id !== undefined) {
    if (!isMessageId(o.causation_id)) return false;
    optional++;
  }
  if (!(o.kind === 'HEARTBEAT' && isId(o.agent_id) && isId(o.cluster_id) && isInt(o.seq, 0, Number.MAX_SAFE_INTEGER))) return false;
  if (o.boot_id !== undefined) {
    if (!isId(o.boot_id)) return false;
    optional++;
  }
  if (!(isEpochMs(o.t1) && isImpedance(o.impedance) && isClock(o.clock) && isHealth(o.health))) return false;
  if (!(typeof o.frozen === 'boolean' && isInt(o.outbox_depth, 0, Number.MAX_SAFE_INTEGER))) return false;
  if (o.sensors !== undefined) {
    if (!isSensors(o.sensors)) return false;
    optional++;
  }
  return ownKeys(o) === HEARTBEAT_REQUIRED + optional;
}

const HEARTBEAT_REQUIRED = 15;
const IMPEDANCE_KEYS = 14;
const CLOCK_REQUIRED = 6;
const HEALTH_KEYS = 7;
const THROTTLE_KEYS = 9;
const SENSOR_REQUIRED = 4;
const MAX_CAPABILITIES = 64;

const MESSAGE_ID = /^[A-Za-z0-9_.:-]{8,128}$/;
const CAPABILITY = /^[a-z0-9][a-z0-9_.:-]*$/;
const CONTEXT_HASH = /^(?:[0-9a-f]{64})?$/;
const SENSOR_ID = /^[a-z0-9][a-z0-9_-]{0,47}$/;
const AGENT_CLASSES: ReadonlySet<unknown> = new Set(['A', 'B', 'C', 'D', 'E', 'F']);
const OPERATIONAL_STATES: ReadonlySet<unknown> = new Set(['active', 'degraded', 'offline', 'quarantined']);

const EPOCH_MAX = 8.64e15;
const DAY_MS = 86_400_000;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;
}

/** Enumerable keys, own or inherited: a key the checks did not read makes the count differ. */
function ownKeys(o: object): number {
  let n = 0;
  for (const _key in o) n++;
  return n;
}

function isNumber(x: unknown, min: number, max: number): boolean {
  // NaN fails both comparisons; every bound here is finite, so Infinity fails one.
  return typeof x === 'number' && x >= min && x <= max;
}

function isInt(x: unknown, min: number, max: number): boolean {
  return Number.isSafeInteger(x) && (x as number) >= min && (x as number) <= max;
}

const isEpochMs = (x: unknown): boolean => isNumber(x, 0, EPOCH_MAX);
const isDurationMs = (x: unknown): boolean => isNumber(x, 0, DAY_MS);
const isId = (x: unknown): boolean => typeof x === 'string' && ID_PATTERN.test(x);
const isMessageId = (x: unknown): boolean => typeof x === 'string' && MESSAGE_ID.test(x);
const isNullableNumber = (x: unknown, min: number, max: number): boolean => x === null || isNumber(x, min, max);

function isImpedance(x: unknown): boolean {
  if (!isPlainObject(x)) return false;
  return (
    isId(x.agent_id) &&
    AGENT_CLASSES.has(x.agent_class) &&
    isId(x.sector_id) &&
    isId(x.cluster_id) &&
    isDurationMs(x.current_latency_ms) &&
    isDurationMs(x.current_processing_ms) &&
    isInt(x.current_queue_depth, 0, MAX_QUEUE_DEPTH) &&
    isEpochMs(x.last_heartbeat) &&
    isNumber(x.impedance_score, 0, MAX_IMPEDANCE_SCORE) &&
    isNumber(x.reliability_score, 0, 1) &&
    isNumber(x.drift_coefficient, 0, MAX_DRIFT_COEFFICIENT) &&
    OPERATIONAL_STATES.has(x.operational_state) &&
    typeof x.current_context_hash === 'string' &&
    CONTEXT_HASH.test(x.current_context_hash) &&
    isCapabilities(x.capabilities) &&
    ownKeys(x) === IMPEDANCE_KEYS
  );
}

function isCapabilities(x: unknown): boolean {
  if (!Array.isArray(x) || x.length > MAX_CAPABILITIES) return false;
  for (let i = 0; i < x.length; i++) {
    const c: unknown = x[i];
    if (typeof c !== 'string' || c.length < 1 || c.length > 64 || !CAPABILITY.test(c)) return false;
  }
  return true;
}

function isClock(x: unknown): boolean {
  if (!isPlainObject(x)) return false;
  if (
    !(
      isNumber(x.offset_ms, -EPOCH_MAX, EPOCH_MAX) &&
      isDurationMs(x.delay_ms) &&
      isNumber(x.drift_ppm, -1000, 1000) &&
      isNumber(x.confidence, 0, 1) &&
      isNumber(x.error_bound_ms, 0, EPOCH_MAX) &&
      isInt(x.samples, 0, 10_000)
    )
  ) {
    return false;
  }
  let optional = 0;
  if (x.jitter_ms !== undefined) {
    if (!isDurationMs(x.jitter_ms)) return false;
    optional++;
  }
  return ownKeys(x) === CLOCK_REQUIRED + optional;
}

function isHealth(x: unknown): boolean {
  if (!isPlainObject(x)) return false;
  return (
    isNullableNumber(x.cpu_load_pct, 0, 100) &&
    isNullableNumber(x.temperature_c, -40, 125) &&
    isNullableNumber(x.memory_used_pct, 0, 100) &&
    isNullableNumber(x.disk_used_pct, 0, 100) &&
    (x.throttle === null || isThrottle(x.throttle)) &&
    isNullableNumber(x.uptime_s, 0, 1e10) &&
    (x.ntp_synchronized === null || typeof x.ntp_synchronized === 'boolean') &&
    ownKeys(x) === HEALTH_KEYS
  );
}

function isThrottle(x: unknown): boolean {
  if (!isPlainObject(x)) return false;
  return (
    isInt(x.raw, 0, 0xffffffff) &&
    typeof x.under_voltage === 'boolean' &&
    typeof x.freq_capped === 'boolean' &&
    typeof x.throttled === 'boolean' &&
    typeof x.soft_temp_limit === 'boolean' &&
    typeof x.under_voltage_since_boot === 'boolean' &&
    typeof x.freq_capped_since_boot === 'boolean' &&
    typeof x.throttled_since_boot === 'boolean' &&
    typeof x.soft_temp_limit_since_boot === 'boolean' &&
    ownKeys(x) === THROTTLE_KEYS
  );
}

function isSensors(x: unknown): boolean {
  if (!Array.isArray(x) || x.length > MAX_SENSORS) return false;
  for (let i = 0; i < x.length; i++) if (!isSensor(x[i])) return false;
  return true;
}

function isSensor(x: unknown): boolean {
  if (!isPlainObject(x)) return false;
  const value = x.value;
  const valueOk = value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= 256);
  if (!(typeof x.sensor_id === 'string' && SENSOR_ID.test(x.sensor_id) && valueOk && isEpochMs(x.sampled_at) && isInt(x.seq, 0, Number.MAX_SAFE_INTEGER))) return false;
  let optional = 0;
  if (x.unit !== undefined) {
    if (!(typeof x.unit === 'string' && x.unit.length <= 16)) return false;
    optional++;
  }
  return ownKeys(x) === SENSOR_REQUIRED + optional;
}
