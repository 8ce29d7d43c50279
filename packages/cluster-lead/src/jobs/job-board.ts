/**
 * Long-running work started through the API (operations, delegations, cascades, heal) as one
 * kind of job: an id, a state machine, the result or error once it ends. Jobs live in memory
 * (the newest MAX_JOBS); scatter results also reach the operations history in SQLite. With the
 * JetStream store every change of a job is published (`observe`), a standby lead restores the
 * views (`restore`), and when it takes over it settles those still live (`adopt`).
 */
export type JobState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLING' | 'CANCELLED';
export type JobKind = 'scatter_gather' | 'broadcast' | 'ask' | 'delegation' | 'cascade' | 'heal';

export const JOB_STATES: readonly JobState[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED'];
export const JOB_KINDS: readonly JobKind[] = ['scatter_gather', 'broadcast', 'ask', 'delegation', 'cascade', 'heal'];
const FINAL: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** The work attached to a job: how it ends, or how to ask whether it has. */
export type JobWork = Pick<JobStart, 'done' | 'poll' | 'started' | 'cancel'>;

export interface JobView {
  readonly id: string;
  readonly kind: JobKind;
  readonly state: JobState;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

/** How a job's work ended. */
export type JobEnd = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly code: string; readonly message: string; readonly result?: unknown };

export interface JobStart {
  readonly id: string;
  readonly kind: JobKind;
  readonly state: 'QUEUED' | 'RUNNING';
  /** Settles when the work ends (a rejection is a FAILED job, code INTERNAL); a plain value: it already ended. */
  readonly done?: Promise<JobEnd> | JobEnd;
  /** For work that reports no end (cascades): asked on read while live; an end finishes the job. */
  readonly poll?: () => JobEnd | undefined;
  /** Asked on read while QUEUED: has the work started? (The engine does not announce it.) */
  readonly started?: () => boolean;
  /** Asked once on cancel; the work may or may not stop early. */
  readonly cancel?: () => void;
}

/** Told of each change of a job; may return when it has the change for good (true) or gave up (false). */
export type JobObserver = (view: JobView) => Promise<boolean> | void;

interface Job {
  view: JobView;
  /** The observer's hold on the latest change, while it may still be in flight. */
  copied: Promise<boolean> | undefined;
  readonly seq: number;
  started: (() => boolean) | undefined;
  cancel: (() => void) | undefined;
  poll: (() => JobEnd | undefined) | undefined;
}

export const MAX_JOBS = 10_000;

export class JobBoard {
  private readonly jobs = new Map<string, Job>();
  private seq = 0;
  private observer: JobObserver | undefined;

  constructor(
    private readonly now: () => number,
    private readonly maxJobs = MAX_JOBS,
  ) {}

  has(id: string): boolean {
    return this.jobs.has(id);
  }

  /** One observer told of every job started and every change of one (the JetStream mirror). */
  observe(observer: JobObserver): void {
    this.observer = observer;
  }

  /**
   * Resolves once the observer has the job's latest change (the JetStream mirror: on the
   * stream), true; false when it gave up or `maxWaitMs` passed first. The API answers a job's
   * 202 only after this, so a lead that dies just after answering did not accept a job its
   * standby never heard of. Never rejects.
   */
  async copied(id: string, maxWaitMs: number): Promise<boolean> {
    const pending = this.jobs.get(id)?.copied;
    if (pending === undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), maxWaitMs);
    });
    try {
      return await Promise.race([pending, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  start(start: JobStart): JobView {
    const at = this.now();
    const job: Job = { view: { id: start.id, kind: start.kind, state: start.state, createdAt: at, updatedAt: at }, copied: undefined, seq: ++this.seq, started: start.started, cancel: start.cancel, poll: start.poll };
    this.jobs.set(start.id, job);
    this.evict();
    this.tell(job);
    this.attach(job, start);
    return job.view;
  }

  /** A job as another lead published it, without its work: shown as it was, replaced by a later copy. */
  restore(view: JobView): void {
    const known = this.jobs.get(view.id);
    if (known !== undefined) {
      known.view = view;
      return;
    }
    this.jobs.set(view.id, { view, copied: undefined, seq: ++this.seq, started: undefined, cancel: undefined, poll: undefined });
    this.evict();
  }

  /** Jobs not ended yet, oldest first. */
  live(): JobView[] {
    return [...this.jobs.values()].sort((a, b) => a.seq - b.seq).map((job) => job.view).filter((view) => !FINAL.has(view.state));
  }

  /** Attaches work to a live job this lead did not start (one restored after a failover); false when there is none. */
  adopt(id: string, work: JobWork): boolean {
    const job = this.jobs.get(id);
    if (job === undefined || FINAL.has(job.view.state)) return false;
    job.started = work.started;
    job.cancel = work.cancel;
    job.poll = work.poll;
    this.attach(job, work);
    return true;
  }

  get(id: string): JobView | undefined {
    const job = this.jobs.get(id);
    if (job === undefined) return undefined;
    if (job.view.state === 'QUEUED' && job.started?.() === true) this.update(job, { state: 'RUNNING' });
    if (!FINAL.has(job.view.state) && job.poll !== undefined) {
      const end = job.poll();
      if (end !== undefined) this.finish(job, end);
    }
    return job.view;
  }

  /** Newest first; `before` is the seq to continue below. */
  list(filter: { state?: JobState | undefined; before?: number | undefined; limit: number }): { jobs: JobView[]; lastSeq: number | undefined; more: boolean } {
    const all = [...this.jobs.values()].sort((a, b) => b.seq - a.seq);
    const out: JobView[] = [];
    let lastSeq: number | undefined;
    let more = false;
    for (const job of all) {
      if (filter.before !== undefined && job.seq >= filter.before) continue;
      const view = this.get(job.view.id) ?? job.view;
      if (filter.state !== undefined && view.state !== filter.state) continue;
      if (out.length === filter.limit) {
        more = true;
        break;
      }
      out.push(view);
      lastSeq = job.seq;
    }
    return { jobs: out, lastSeq, more };
  }

  /** Idempotent: a finished job is returned unchanged; a live one goes CANCELLING, then CANCELLED. */
  cancel(id: string): JobView | undefined {
    const job = this.jobs.get(id);
    if (job === undefined) return undefined;
    if (FINAL.has(job.view.state) || job.view.state === 'CANCELLING') return job.view;
    this.update(job, { state: 'CANCELLING' });
    job.cancel?.();
    return job.view;
  }

  private attach(job: Job, work: JobWork): void {
    if (work.done === undefined) return;
    if (!(work.done instanceof Promise)) {
      this.finish(job, work.done);
      return;
    }
    work.done.then(
      (end) => this.finish(job, end),
      (error: unknown) => this.finish(job, { ok: false, code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) }),
    );
  }

  private finish(job: Job, end: JobEnd): void {
    const cancelled = job.view.state === 'CANCELLING';
    if (end.ok) this.update(job, { state: cancelled ? 'CANCELLED' : 'SUCCEEDED', result: end.result });
    else this.update(job, { state: cancelled ? 'CANCELLED' : 'FAILED', error: { code: end.code, message: end.message }, ...(end.result === undefined ? {} : { result: end.result }) });
  }

  private update(job: Job, change: Partial<JobView>): void {
    job.view = { ...job.view, ...change, updatedAt: this.now() };
    this.tell(job);
  }

  private tell(job: Job): void {
    job.copied = this.observer?.(job.view) ?? undefined;
  }

  /** Oldest finished jobs go first; live ones are kept whatever the count. */
  private evict(): void {
    if (this.jobs.size <= this.maxJobs) return;
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= this.maxJobs) break;
      if (FINAL.has(job.view.state)) this.jobs.delete(id);
    }
  }
}
