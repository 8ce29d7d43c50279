import { MeshError } from '../lib/errors.js';

/** Samples kept when no capacity is given: the spec's RingBuffer(size=100). */
export const DEFAULT_SAMPLE_CAPACITY = 100;

/**
 * A fixed-capacity ring buffer of numbers: the newest `capacity` samples, oldest overwritten.
 *
 * `add` is O(1) and allocates nothing. The statistics are computed on demand in O(capacity)
 * (a sort for percentiles), which is cheap at this size and avoids the floating-point drift
 * of running sums that have values subtracted out of them again and again.
 *
 * Percentiles use linear interpolation between closest ranks (Hyndman-Fan type 7, the
 * default of numpy and R): for p in [0, 100] and n sorted values v, h = (n - 1) * p / 100 and
 * the result is v[floor h] + (h - floor h) * (v[floor h + 1] - v[floor h]).
 * Standard deviation is the population one (divide by n): the samples are the whole window.
 * Every statistic is undefined while the buffer is empty.
 */
export class RollingSamples {
  private readonly buf: Float64Array;
  private next = 0;
  private size = 0;

  constructor(capacity: number = DEFAULT_SAMPLE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new MeshError('INVALID_ARGUMENT', `capacity must be a positive integer, got ${capacity}`, {
        path: 'capacity',
      });
    }
    this.buf = new Float64Array(capacity);
  }

  get capacity(): number {
    return this.buf.length;
  }

  get count(): number {
    return this.size;
  }

  /** Adds a sample; non-finite samples are a caller bug and throw. */
  add(x: number): void {
    if (!Number.isFinite(x)) {
      throw new MeshError('INVALID_ARGUMENT', `sample must be finite, got ${x}`);
    }
    this.buf[this.next] = x;
    this.next = (this.next + 1) % this.buf.length;
    if (this.size < this.buf.length) this.size += 1;
  }

  clear(): void {
    this.next = 0;
    this.size = 0;
  }

  /** The samples held, oldest first (a copy). */
  values(): number[] {
    const out: number[] = [];
    const start = this.size < this.buf.length ? 0 : this.next;
    for (let i = 0; i < this.size; i++) out.push(this.buf[(start + i) % this.buf.length] ?? 0);
    return out;
  }

  /** The most recent sample. */
  latest(): number | undefined {
    if (this.size === 0) return undefined;
    return this.buf[(this.next - 1 + this.buf.length) % this.buf.length];
  }

  /** The p-th percentile, p in [0, 100], by linear interpolation (see the class comment). */
  percentile(p: number): number | undefined {
    return this.percentiles([p])[0];
  }

  /** Several percentiles from one sort. */
  percentiles(ps: readonly number[]): (number | undefined)[] {
    for (const p of ps) {
      if (!(p >= 0 && p <= 100)) {
        throw new MeshError('INVALID_ARGUMENT', `percentile must be in [0, 100], got ${p}`, { path: 'p' });
      }
    }
    if (this.size === 0) return ps.map(() => undefined);
    // A typed array sorts numerically; the copy leaves the ring order intact.
    const sorted = this.buf.slice(0, this.size).sort();
    return ps.map((p) => interpolate(sorted, p));
  }

  mean(): number | undefined {
    if (this.size === 0) return undefined;
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += this.buf[i] ?? 0;
    return sum / this.size;
  }

  /** Population variance (two-pass, for accuracy). */
  variance(): number | undefined {
    const mean = this.mean();
    if (mean === undefined) return undefined;
    let ss = 0;
    for (let i = 0; i < this.size; i++) {
      const d = (this.buf[i] ?? 0) - mean;
      ss += d * d;
    }
    return ss / this.size;
  }

  stdDev(): number | undefined {
    const v = this.variance();
    return v === undefined ? undefined : Math.sqrt(v);
  }

  min(): number | undefined {
    if (this.size === 0) return undefined;
    let m = Infinity;
    for (let i = 0; i < this.size; i++) m = Math.min(m, this.buf[i] ?? Infinity);
    return m;
  }

  max(): number | undefined {
    if (this.size === 0) return undefined;
    let m = -Infinity;
    for (let i = 0; i < this.size; i++) m = Math.max(m, this.buf[i] ?? -Infinity);
    return m;
  }
}

function interpolate(sorted: Float64Array, p: number): number {
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? 0;
  return a + (h - lo) * (b - a);
}
