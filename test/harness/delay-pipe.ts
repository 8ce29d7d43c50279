// One direction of one proxied connection: a FIFO of chunks, each released to the sink at
// max(arrival + sampled delay, release of the previous chunk), so bytes never reorder.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { DelaySample } from './link-profile.js';

export interface DirectionCounters {
  /** Bytes and chunks accepted from the source. */
  bytes: number;
  chunks: number;
  /** Chunks that were given the retransmission delay. */
  lostChunks: number;
  /** Bytes accepted but not yet written to the sink. */
  queuedBytes: number;
}

interface QueuedChunk {
  readonly data: Buffer;
  readonly releaseAt: number;
  /** When the source handed it over (monotonic ms). */
  readonly acceptedAt: number;
}

/** Told of every chunk as it leaves, with when it came in and when it left (monotonic ms). */
export type ChunkTap = (data: Buffer, acceptedAt: number, releasedAt: number) => void;

// setTimeout has 1 ms granularity and may fire a little early relative to a fractional
// deadline; the last stretch is covered by setImmediate turns so no chunk leaves early.
const SPIN_WINDOW_MS = 1;

export class DelayPipe {
  private readonly queue: QueuedChunk[] = [];
  private head = 0;
  private lastReleaseAt = Number.NEGATIVE_INFINITY;
  private timeout: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private sourceEnded = false;
  private sinkEnded = false;
  private disposed = false;

  constructor(
    private readonly source: Socket,
    private readonly sink: Socket,
    private readonly sample: () => DelaySample,
    private readonly counters: DirectionCounters,
    private readonly tap?: ChunkTap,
  ) {
    source.on('data', (chunk: Buffer) => this.accept(chunk));
    source.on('end', () => {
      this.sourceEnded = true;
      this.endSinkIfDrained();
    });
  }

  /** True once the source has sent FIN; queued data will still be delivered. */
  get ended(): boolean {
    return this.sourceEnded;
  }

  /** Drops queued data and stops the timer; used when either socket fails. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelTimer();
    for (let i = this.head; i < this.queue.length; i++) this.counters.queuedBytes -= this.queue[i]!.data.length;
    this.queue.length = 0;
    this.head = 0;
  }

  private accept(data: Buffer): void {
    if (this.disposed) return;
    const { delayMs, lost } = this.sample();
    const acceptedAt = performance.now();
    const releaseAt = Math.max(acceptedAt + delayMs, this.lastReleaseAt);
    this.lastReleaseAt = releaseAt;
    this.queue.push({ data, releaseAt, acceptedAt });
    this.counters.bytes += data.length;
    this.counters.chunks += 1;
    this.counters.queuedBytes += data.length;
    if (lost) this.counters.lostChunks += 1;
    // Release times never decrease, so a pending timer for the head is still the right one.
    if (this.timeout === undefined && this.immediate === undefined) this.arm();
  }

  private arm(): void {
    const next = this.queue[this.head];
    if (next === undefined || this.disposed) return;
    const remaining = next.releaseAt - performance.now();
    if (remaining <= 0) this.release();
    else if (remaining <= SPIN_WINDOW_MS) this.immediate = setImmediate(() => this.release());
    else this.timeout = setTimeout(() => this.release(), remaining - SPIN_WINDOW_MS / 2);
  }

  private release(): void {
    this.timeout = undefined;
    this.immediate = undefined;
    if (this.disposed) return;
    const now = performance.now();
    for (let next = this.queue[this.head]; next !== undefined && next.releaseAt <= now; next = this.queue[this.head]) {
      this.head += 1;
      this.counters.queuedBytes -= next.data.length;
      if (!this.sink.destroyed) this.sink.write(next.data);
      this.tap?.(next.data, next.acceptedAt, now);
    }
    this.compact();
    this.arm();
    this.endSinkIfDrained();
  }

  /** Drops released entries once they dominate the array, keeping push/shift O(1) amortised. */
  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private endSinkIfDrained(): void {
    if (this.sinkEnded || !this.sourceEnded || this.head < this.queue.length || this.disposed) return;
    this.sinkEnded = true;
    if (!this.sink.destroyed) this.sink.end();
  }

  private cancelTimer(): void {
    clearTimeout(this.timeout);
    clearImmediate(this.immediate);
    this.timeout = undefined;
    this.immediate = undefined;
  }
}
