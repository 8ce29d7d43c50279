/**
 * The dashboard's live feed: what the lead's event bus says, numbered, kept in a short backlog
 * and fanned out to each connected browser through its own bounded queue. A browser that falls
 * behind by more than its queue is cut off; it reconnects with Last-Event-ID and is replayed
 * from the backlog, or, when that has moved on, sent a fresh snapshot instead.
 */

export interface FeedEvent {
  readonly id: number;
  readonly type: string;
  readonly data: unknown;
}

export interface LiveFeedOptions {
  /** Events kept for reconnecting browsers. */
  readonly backlog?: number;
  /** Events queued per browser before it is cut off. */
  readonly queuePerClient?: number;
  /** Browsers connected at once; more are refused (each holds a socket and a queue). */
  readonly maxClients?: number;
}

export const DEFAULT_FEED_BACKLOG = 512;
export const DEFAULT_FEED_QUEUE = 256;
export const DEFAULT_FEED_CLIENTS = 64;

export class FeedSubscription {
  private queue: FeedEvent[] = [];
  private wake: (() => void) | undefined;
  closed = false;
  /** Why the feed ended this subscription, for the log. */
  endReason: 'overflow' | 'closed' | undefined;

  constructor(
    private readonly limit: number,
    private readonly detach: (sub: FeedSubscription) => void,
  ) {}

  push(event: FeedEvent): void {
    if (this.closed) return;
    if (this.queue.length >= this.limit) {
      this.close('overflow');
      return;
    }
    this.queue.push(event);
    this.wake?.();
  }

  /** The queued events, waiting for at least one; empty once closed. */
  async next(): Promise<FeedEvent[]> {
    while (this.queue.length === 0 && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    const batch = this.queue;
    this.queue = [];
    return this.closed ? [] : batch;
  }

  close(reason: 'overflow' | 'closed' = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.endReason = reason;
    this.queue = [];
    this.detach(this);
    this.wake?.();
  }
}

export type FeedStart =
  | { readonly ok: true; readonly subscription: FeedSubscription; readonly replay: readonly FeedEvent[] | 'snapshot'; readonly lastId: number }
  | { readonly ok: false };

export class LiveFeed {
  private readonly backlog: FeedEvent[] = [];
  private readonly subscribers = new Set<FeedSubscription>();
  private seq = 0;
  private readonly backlogSize: number;
  private readonly queueSize: number;
  private readonly maxClients: number;

  constructor(options: LiveFeedOptions = {}) {
    this.backlogSize = options.backlog ?? DEFAULT_FEED_BACKLOG;
    this.queueSize = options.queuePerClient ?? DEFAULT_FEED_QUEUE;
    this.maxClients = options.maxClients ?? DEFAULT_FEED_CLIENTS;
  }

  get clients(): number {
    return this.subscribers.size;
  }

  get lastId(): number {
    return this.seq;
  }

  publish(type: string, data: unknown): void {
    const event: FeedEvent = { id: ++this.seq, type, data };
    this.backlog.push(event);
    if (this.backlog.length > this.backlogSize) this.backlog.shift();
    for (const sub of this.subscribers) sub.push(event);
  }

  /**
   * Starts one browser's stream. With a Last-Event-ID still covered by the backlog, it gets
   * the events it missed; otherwise (first connect, or too far behind) it needs a snapshot.
   */
  subscribe(lastEventId: number | undefined): FeedStart {
    if (this.subscribers.size >= this.maxClients) return { ok: false };
    const subscription = new FeedSubscription(this.queueSize, (sub) => this.subscribers.delete(sub));
    this.subscribers.add(subscription);
    const oldest = this.backlog[0]?.id ?? this.seq + 1;
    const covered = lastEventId !== undefined && lastEventId <= this.seq && lastEventId >= oldest - 1;
    const replay = covered ? this.backlog.filter((event) => event.id > lastEventId) : 'snapshot';
    return { ok: true, subscription, replay, lastId: this.seq };
  }

  closeAll(): void {
    for (const sub of [...this.subscribers]) sub.close();
  }
}
