/**
 * The main thread's side of the lease thread (lease-worker.ts): starts it, beats on the board
 * while the lead is alive and connected, and answers `epoch()` synchronously from the board with
 * its own look at the clock, so the fencing rule holds as before: past the deadline the thread
 * last wrote, this lead sends nothing with authority, whatever the thread is doing.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../lib/logger.js';
import { LeaseBoard, monotonicMs } from './lease-board.js';
import type { LeaseEvent, LeaseLoss } from './lease-keeper.js';
import type { FromLeaseThread, LeaseThreadData, RideStep, ToLeaseThread } from './lease-thread-protocol.js';

export interface ThreadedLeaseDeps {
  readonly logger: Logger;
  /** Whether the lead can serve now (its own NATS connection is up): it beats only then. */
  readonly alive: () => boolean;
  /** The highest lease epoch stamped on the state this lead follows (0 when none), passed to the thread with each beat. */
  readonly epochFloor?: () => number;
  /** The monotonic clock the thread writes deadlines with; tests may hand-drive it. */
  readonly now?: () => number;
  /** Starts the thread; by default the lease-worker module beside this one (or its bundle). */
  readonly spawn?: (data: LeaseThreadData) => Worker;
  /** How often the main thread beats, ms (default a tenth of stallMs, at most 100). */
  readonly beatEveryMs?: number;
}

export interface ThreadedLeaseEvents {
  opened(ttlMs: number, maxAgeMs: number, failedAttempts: number): void;
  openFailed(error: string, attempt: number, retryInMs: number): void;
  change(event: LeaseEvent): void;
  /** A step of a ride-through on the thread (optional: for counters). */
  ride?(step: RideStep): void;
}

export class ThreadedLease {
  readonly board = new LeaseBoard();
  private worker: Worker | undefined;
  private beatTimer: NodeJS.Timeout | undefined;
  /** The epoch the thread said it took; set from its message. */
  private held: number | undefined;
  private ended = false;
  private stopping: Promise<void> | undefined;
  private stopped: (() => void) | undefined;
  private exited = false;
  private readonly now: () => number;

  constructor(
    private readonly deps: ThreadedLeaseDeps,
    private readonly data: Omit<LeaseThreadData, 'board' | 'entry'>,
    private readonly on: ThreadedLeaseEvents,
  ) {
    this.now = deps.now ?? monotonicMs;
  }

  start(): void {
    if (this.worker !== undefined) return;
    this.beat();
    const every = this.deps.beatEveryMs ?? Math.max(10, Math.min(100, Math.floor(this.data.stallMs / 10)));
    this.beatTimer = setInterval(() => this.beat(), every);
    this.beatTimer.unref();
    const data: LeaseThreadData = { ...this.data, board: this.board.buffer };
    const worker = (this.deps.spawn ?? spawnLeaseWorker)(data);
    this.worker = worker;
    worker.on('message', (message: FromLeaseThread) => this.received(message));
    worker.on('error', (error) => this.deps.logger.error({ err: error }, 'the lease thread failed'));
    worker.on('exit', (code) => {
      this.exited = true;
      this.stopped?.();
      if (this.stopping !== undefined) return;
      this.deps.logger.error({ code }, 'the lease thread exited');
      // Nothing renews or takes the lease any more: as good as lost.
      this.end('expired');
    });
  }

  /** The epoch to stamp on an action, or null: this lead must not act. Synchronous, no I/O. */
  epoch(): number | null {
    if (this.ended) return null;
    const lease = this.board.lease();
    if (lease === null || this.now() >= lease.validUntil) {
      if (this.held !== undefined) this.end(this.board.loss() ?? 'expired');
      return null;
    }
    return lease.epoch;
  }

  /** Stops the thread; with `release`, a held lease is deleted so a standby takes over at once. */
  stop(options: { release: boolean }): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.beatTimer);
      const worker = this.worker;
      if (worker === undefined || this.exited) return;
      const exited = new Promise<void>((resolve) => (this.stopped = resolve));
      worker.postMessage({ type: 'stop', release: options.release } satisfies ToLeaseThread);
      await exited;
    })();
    return this.stopping;
  }

  private beat(): void {
    if (this.held !== undefined) this.epoch(); // notices a deadline passed even when nothing is sent
    if (this.deps.epochFloor !== undefined) this.board.setEpochFloor(this.deps.epochFloor());
    if (this.deps.alive()) this.board.beat(this.now());
  }

  private received(message: FromLeaseThread): void {
    switch (message.type) {
      case 'opened':
        this.on.opened(message.ttlMs, message.maxAgeMs, message.failedAttempts);
        return;
      case 'ride':
        this.on.ride?.(message.ride);
        return;
      case 'open-failed':
        this.on.openFailed(message.error, message.attempt, message.retryInMs);
        return;
      case 'acquired':
        if (this.ended || this.stopping !== undefined) return;
        this.held = message.epoch;
        this.on.change({ type: 'acquired', epoch: message.epoch, at: this.now() });
        return;
      case 'lost':
        if (message.reason === 'released') {
          if (this.held !== undefined && !this.ended) {
            this.ended = true;
            this.on.change({ type: 'lost', epoch: message.epoch, reason: 'released', at: this.now() });
          }
          return;
        }
        this.end(message.reason);
        return;
      case 'stopped':
        void this.worker?.terminate();
        return;
    }
  }

  private end(reason: LeaseLoss): void {
    if (this.ended) return;
    this.ended = true;
    const epoch = this.held;
    if (epoch === undefined && reason !== 'expired') return;
    this.on.change({ type: 'lost', epoch: epoch ?? 0, reason, at: this.now() });
  }
}

/**
 * From source (a .ts module URL) the thread is booted through tsx; from the build
 * (dist/mesh-lead.mjs) it is the sibling dist/lease-worker.mjs.
 */
function spawnLeaseWorker(data: LeaseThreadData): Worker {
  if (import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./lease-worker-boot.mjs', import.meta.url), { workerData: { ...data, entry: new URL('./lease-worker.ts', import.meta.url).href } });
  }
  return new Worker(new URL('./lease-worker.mjs', import.meta.url), { workerData: data });
}
