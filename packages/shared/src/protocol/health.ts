import { z } from 'zod';

const nullableNumber = (min: number, max: number) => z.number().finite().min(min).max(max).nullable();

/**
 * The Pi's firmware throttling flags (`get_throttled`): the low bits say what is happening now,
 * bits 16+ what has happened since boot. Both are kept because an under-voltage that came and
 * went between two heartbeats is still the most common cause of flaky Pis.
 */
export const ThrottleFlags = z.object({
  raw: z.number().int().min(0).max(0xffffffff),
  under_voltage: z.boolean(),
  freq_capped: z.boolean(),
  throttled: z.boolean(),
  soft_temp_limit: z.boolean(),
  under_voltage_since_boot: z.boolean(),
  freq_capped_since_boot: z.boolean(),
  throttled_since_boot: z.boolean(),
  soft_temp_limit_since_boot: z.boolean(),
});
export type ThrottleFlags = z.infer<typeof ThrottleFlags>;

/** System health sampled on the agent. A metric the host cannot provide is null. */
export const SystemHealth = z.object({
  cpu_load_pct: nullableNumber(0, 100),
  temperature_c: nullableNumber(-40, 125),
  memory_used_pct: nullableNumber(0, 100),
  disk_used_pct: nullableNumber(0, 100),
  throttle: ThrottleFlags.nullable(),
  uptime_s: nullableNumber(0, 1e10),
  ntp_synchronized: z.boolean().nullable(),
});
export type SystemHealth = z.infer<typeof SystemHealth>;

/** Decodes the firmware's get_throttled word into named flags. */
export function decodeThrottled(raw: number): ThrottleFlags {
  const bit = (n: number) => (raw & (1 << n)) !== 0;
  return {
    raw: raw >>> 0,
    under_voltage: bit(0),
    freq_capped: bit(1),
    throttled: bit(2),
    soft_temp_limit: bit(3),
    under_voltage_since_boot: bit(16),
    freq_capped_since_boot: bit(17),
    throttled_since_boot: bit(18),
    soft_temp_limit_since_boot: bit(19),
  };
}
