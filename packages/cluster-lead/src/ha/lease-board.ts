/**
 * The memory the lead's main thread and its lease thread share (a SharedArrayBuffer): the lease
 * the thread holds (epoch and deadline), why it ended, and the main thread's last sign of life.
 * Each slot is written by one side only, with Atomics, so nothing waits on a lock.
 *
 * - The lease thread writes the lease: on taking it the deadline first, then the epoch; on each
 *   renewal only the (later) deadline; on losing it the reason, then epoch 0. One board holds at
 *   most one epoch: a thread that lost its lease never takes another (the process exits).
 * - The main thread writes its beat and the epoch floor (the highest epoch stamped on the state
 *   it follows), and reads the lease: epoch first, then the deadline. A read that sees the epoch
 *   and then a deadline written after the loss sees 0, which has passed.
 *
 * Times are µs of the process-wide monotonic clock (`monotonicMs`), the same in every thread.
 */
import type { LeaseLoss } from './lease-keeper.js';

const EPOCH = 0;
const VALID_UNTIL = 1;
const LOSS = 2;
const BEAT = 3;
const EPOCH_FLOOR = 4;
const SLOTS = 5;

const LOSS_CODES: readonly LeaseLoss[] = ['expired', 'taken', 'released'];

/** ms of CLOCK_MONOTONIC, the same clock in every thread of the process (performance.now() is per-thread). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const toUs = (ms: number): bigint => BigInt(Math.floor(ms * 1_000));

export interface BoardLease {
  readonly epoch: number;
  /** The lease's end on this process's monotonic clock, ms. */
  readonly validUntil: number;
}

export class LeaseBoard {
  private readonly slots: BigInt64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * BigInt64Array.BYTES_PER_ELEMENT)) {
    this.slots = new BigInt64Array(buffer);
  }

  /** Lease thread: the lease taken or renewed. Throws on a second epoch (one lease per board). */
  hold(lease: BoardLease): void {
    const epoch = BigInt(lease.epoch);
    const current = Atomics.load(this.slots, EPOCH);
    if (current !== 0n && current !== epoch) throw new Error(`lease board already holds epoch ${current}, not ${epoch}`);
    if (current === 0n && Atomics.load(this.slots, LOSS) !== 0n) throw new Error('lease board: a lost lease is never taken again');
    Atomics.store(this.slots, VALID_UNTIL, toUs(lease.validUntil));
    if (current === 0n) Atomics.store(this.slots, EPOCH, epoch);
  }

  /** Lease thread: the lease ended. */
  lose(reason: LeaseLoss): void {
    Atomics.store(this.slots, LOSS, BigInt(LOSS_CODES.indexOf(reason) + 1));
    Atomics.store(this.slots, EPOCH, 0n);
    Atomics.store(this.slots, VALID_UNTIL, 0n);
  }

  /** Main thread: the lease as the thread last wrote it, or null (never held, or lost). */
  lease(): BoardLease | null {
    const epoch = Atomics.load(this.slots, EPOCH);
    if (epoch === 0n) return null;
    return { epoch: Number(epoch), validUntil: Number(Atomics.load(this.slots, VALID_UNTIL)) / 1_000 };
  }

  /** Why the lease ended, once it has. */
  loss(): LeaseLoss | null {
    const code = Number(Atomics.load(this.slots, LOSS));
    return code === 0 ? null : LOSS_CODES[code - 1]!;
  }

  /** Main thread: it is alive and able to serve, now. */
  beat(now: number): void {
    Atomics.store(this.slots, BEAT, toUs(now));
  }

  /** Main thread: the highest epoch stamped on the state it follows; a new lease's epoch goes above it. */
  setEpochFloor(epoch: number): void {
    Atomics.store(this.slots, EPOCH_FLOOR, BigInt(Math.max(0, Math.floor(epoch))));
  }

  /** Lease thread: the main thread's epoch floor (0 until it wrote one). */
  epochFloor(): number {
    return Number(Atomics.load(this.slots, EPOCH_FLOOR));
  }

  /** Lease thread: when the main thread last beat (ms; -Infinity if never). */
  lastBeat(): number {
    const us = Atomics.load(this.slots, BEAT);
    return us === 0n ? Number.NEGATIVE_INFINITY : Number(us) / 1_000;
  }
}
