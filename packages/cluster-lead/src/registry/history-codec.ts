/**
 * 16-bit codes for the dashboard history (agent-history.ts). Each code keeps a value to a
 * stated precision; two codes of each kind are reserved: NULL (no value, kept distinct from
 * any number) and ESCAPE (the value did not fit: the ring keeps it exactly beside the codes).
 * Precision, chosen against what the dashboard shows (chart axis labels: whole numbers from
 * 100, one decimal from 10, two below; facts: three decimals, read from the live record, not
 * from here):
 * - scores (0..1000) to 0.02, error <= 0.01;
 * - non-negative durations (error bounds, processing times) as a decimal float: 1 µs below
 *   16.4 ms, then 4 significant digits or better (relative error <= 0.031%) up to 16,381 ms;
 * - clock offsets as 1 µs steps from the previous sample (the ring's delta chain);
 * - sample times as 0.1 s steps from the previous sample (one byte, above the spacing).
 * Decoded values are the nearest doubles to short decimals (code / 50, m / 10^k), so the JSON
 * shows 290.02, not 290.0199999.
 */

export const NULL_CODE = 0xfffe;
export const ESCAPE_CODE = 0xffff;

const SCORE_STEPS = 50;
const SCORE_MAX_CODE = NULL_CODE - 1;

/** A score to 0.02; ESCAPE for one outside 0..1310.66, NULL for a non-finite one. */
export function encodeScore(value: number): number {
  if (!Number.isFinite(value)) return NULL_CODE;
  const code = Math.round(value * SCORE_STEPS);
  return code >= 0 && code <= SCORE_MAX_CODE ? code : ESCAPE_CODE;
}

export function decodeScore(code: number): number {
  return code / SCORE_STEPS;
}

const MANTISSA_BITS = 14;
const MANTISSA_MAX = (1 << MANTISSA_BITS) - 1;
/** Divisors per exponent: 1 µs, 10 µs, 0.1 ms and 1 ms steps. */
const DIVISORS = [1_000, 100, 10, 1] as const;
/** The top exponent gives up its two highest mantissas to NULL and ESCAPE. */
const TOP_MANTISSA_MAX = NULL_CODE - (3 << MANTISSA_BITS) - 1;

/** A non-negative duration (ms) as a decimal float; ESCAPE for a negative or one above 16,381 ms, NULL for a non-finite one. */
export function encodeDuration(value: number): number {
  if (!Number.isFinite(value)) return NULL_CODE;
  if (value < 0) return ESCAPE_CODE;
  for (let exponent = 0; exponent < DIVISORS.length; exponent++) {
    const mantissa = Math.round(value * DIVISORS[exponent]!);
    const max = exponent === DIVISORS.length - 1 ? TOP_MANTISSA_MAX : MANTISSA_MAX;
    if (mantissa <= max) return (exponent << MANTISSA_BITS) | mantissa;
  }
  return ESCAPE_CODE;
}

export function decodeDuration(code: number): number {
  return (code & MANTISSA_MAX) / DIVISORS[code >>> MANTISSA_BITS]!;
}

/** Offsets travel as whole microseconds: exact integers in a double up to 9e12 ms. */
export const toMicros = (ms: number): number => Math.round(ms * 1_000);
export const fromMicros = (micros: number): number => micros / 1_000;

/** Int16 offset deltas: the two extremes are reserved. */
export const OFFSET_NULL = -0x8000;
export const OFFSET_ESCAPE = 0x7fff;
export const fitsOffsetDelta = (delta: number): boolean => delta > OFFSET_NULL && delta < OFFSET_ESCAPE;

/** One-byte time steps, in 0.1 s above the spacing samples keep: 0xff is reserved (back in time, or 25.5 s late or more). */
export const TIME_ESCAPE = 0xff;
export const fitsTimeStep = (step: number): boolean => step >= 0 && step < TIME_ESCAPE;
