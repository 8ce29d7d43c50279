/**
 * Heartbeat replies, written to the socket together. Each job stamps its own t3, signs (or
 * tags) and hands its reply to NATS; the jobs of one batch run in one loop, so nats.js writes
 * them to the socket in one go.
 *
 * A batch can hold replies across socket reads (`holdMs`): at a few thousand beats a second
 * they arrive about one per read, and one socket write per reply was the largest single cost
 * of a session-keyed beat. The hold is spent before the job runs, so it falls between t2 and
 * t3 (the lead's processing time in the agent's clock sample), never after t3.
 *
 * A reply signed early in a long batch would wait for the rest before reaching the socket, and
 * that wait would count as network delay in the agent's clock sample (it falls after t3):
 * after `budgetMs` of signing, or `maxReplies` replies' worth of weight, the batch so far is
 * pushed to the socket (`flush`), so no reply's t3 is older than about one budget when it is
 * written. (The weight bound matters on a starved machine, where wall time between two
 * replies says more about preemption than about signing; each flush costs a PING to the
 * server, so it is not done per reply, and a cheap tagged reply weighs less than a signed one.)
 */
export interface ReplyBatchOptions {
  /** Signing time after which the replies so far are written out, ms. */
  budgetMs: number;
  /** Reply weight (1 for a signed reply) after which those so far are written out (default: no bound). */
  maxReplies?: number;
  /**
   * How long the first reply of a batch waits for more before the batch runs, ms (default 0:
   * at the end of the current turn, so only replies decided in one turn go together).
   */
  holdMs?: number;
  /** Replies queued that start the batch without waiting out `holdMs` (default 64). */
  holdMax?: number;
  /** Writes what is queued to the socket now. */
  flush: () => void;
  /** performance.now(), or a test's clock. */
  now?: () => number;
  /** A job that threw; the rest of the batch still runs. */
  onError: (error: unknown) => void;
}

const DEFAULT_HOLD_MAX = 64;

export class ReplyBatch {
  private jobs: (() => void)[] = [];
  private weights: number[] = [];
  private scheduled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Batches run, and flushes made within them (for tests and metrics). */
  batches = 0;
  flushes = 0;

  constructor(private readonly options: ReplyBatchOptions) {}

  /** Replies queued and not yet run. */
  get queued(): number {
    return this.jobs.length;
  }

  /** Queues one reply: `job` stamps t3, signs (or tags) and responds, synchronously. `weight`: 1 for a signature's worth of work. */
  add(job: () => void, weight = 1): void {
    this.jobs.push(job);
    this.weights.push(weight);
    const holdMs = this.options.holdMs ?? 0;
    if (holdMs > 0 && this.jobs.length >= (this.options.holdMax ?? DEFAULT_HOLD_MAX)) {
      this.cancelTimer();
      this.scheduleNow();
      return;
    }
    if (this.scheduled || this.timer !== undefined) return;
    if (holdMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.run();
      }, holdMs);
      return;
    }
    this.scheduleNow();
  }

  /** Runs whatever is queued now (a stopping lead answers what it has decided). */
  runNow(): void {
    this.cancelTimer();
    this.run();
  }

  private scheduleNow(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // A microtask: after every frame decided in this turn has queued its reply, before any I/O.
    queueMicrotask(() => {
      this.scheduled = false;
      this.run();
    });
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    const jobs = this.jobs;
    const weights = this.weights;
    if (jobs.length === 0) return;
    this.jobs = [];
    this.weights = [];
    this.batches++;
    const now = this.options.now ?? (() => performance.now());
    const maxReplies = this.options.maxReplies ?? Number.POSITIVE_INFINITY;
    let chunkStart = now();
    let inChunk = 0;
    for (let i = 0; i < jobs.length; i++) {
      inChunk += weights[i]!;
      try {
        jobs[i]!();
      } catch (error) {
        this.options.onError(error);
      }
      if (i < jobs.length - 1 && (inChunk >= maxReplies || now() - chunkStart >= this.options.budgetMs)) {
        this.options.flush();
        this.flushes++;
        chunkStart = now();
        inChunk = 0;
      }
    }
  }
}
