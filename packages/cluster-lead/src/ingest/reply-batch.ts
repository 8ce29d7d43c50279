/**
 * Heartbeat replies of one verified batch, sent together. Each job stamps its own t3, signs
 * and hands its reply to NATS; jobs queued in one turn of the event loop run in one loop, so
 * nats.js writes them to the socket in one go. A reply signed early in a long batch would wait
 * for the rest before reaching the socket, and that wait would count as network delay in the
 * agent's clock sample (it falls after t3): after `budgetMs` of signing, or `maxReplies`
 * replies, the batch so far is pushed to the socket (`flush`), so no reply's t3 is older than
 * about one budget when it is written. (The count bound matters on a starved machine, where
 * wall time between two replies says more about preemption than about signing; each flush
 * costs a PING to the server, so it is not done per reply.)
 */
export interface ReplyBatchOptions {
  /** Signing time after which the replies so far are written out, ms. */
  budgetMs: number;
  /** Replies after which those so far are written out (default: no count bound). */
  maxReplies?: number;
  /** Writes what is queued to the socket now. */
  flush: () => void;
  /** performance.now(), or a test's clock. */
  now?: () => number;
  /** A job that threw; the rest of the batch still runs. */
  onError: (error: unknown) => void;
}

export class ReplyBatch {
  private jobs: (() => void)[] = [];
  private scheduled = false;
  /** Batches run, and flushes made within them (for tests and metrics). */
  batches = 0;
  flushes = 0;

  constructor(private readonly options: ReplyBatchOptions) {}

  /** Queues one reply: `job` stamps t3, signs and responds, synchronously. */
  add(job: () => void): void {
    this.jobs.push(job);
    if (this.scheduled) return;
    this.scheduled = true;
    // A microtask: after every verified frame of this batch has queued its reply, before any I/O.
    queueMicrotask(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    const jobs = this.jobs;
    this.jobs = [];
    this.batches++;
    const now = this.options.now ?? (() => performance.now());
    const maxReplies = this.options.maxReplies ?? Number.POSITIVE_INFINITY;
    let chunkStart = now();
    let inChunk = 0;
    for (let i = 0; i < jobs.length; i++) {
      inChunk++;
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
