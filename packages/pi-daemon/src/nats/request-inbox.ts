import { performance } from 'node:perf_hooks';
import { createInbox } from 'nats';
import type { Msg, NatsConnection, PublishOptions, Subscription } from 'nats';
import { TimerHeap, type Timed } from '../clock/timer-heap.js';
import type { BusMessage, RequestOptions } from './bus.js';
import { BusError } from './errors.js';
import { toHdrs, wrapMessage } from './client-adapters.js';

/** The status a server puts on the empty reply to a request nobody serves. */
const NO_RESPONDERS_STATUS = 503;

interface Pending extends Timed {
  readonly token: string;
  readonly subject: string;
  resolve(message: BusMessage): void;
  reject(error: BusError): void;
}

/**
 * Requests over one wildcard reply subscription, for a process that sends thousands a second
 * (a sim fleet): each request is a publish with a reply subject under this inbox, a map entry
 * and a heap entry; one timer serves every deadline. The client's own request() builds a
 * deferred, a timer and an Error per call (its cancel() makes one even on success), which was
 * about a sixth of a sim's CPU (bench:sim profile, issue 15). On the wire it is the same
 * request: a publish with a reply subject under an inbox prefix.
 *
 * The reply is stamped (`arrivedAt`) in the subscription's callback, when the client hands it
 * over, before any promise hop.
 */
export class RequestInbox {
  private readonly base: string;
  private readonly subscription: Subscription;
  private readonly pending = new Map<string, Pending>();
  private readonly deadlines = new TimerHeap<Pending>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private nextToken = 0;
  private closedWith: BusError | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly connected: () => boolean,
    inboxPrefix?: string,
  ) {
    this.base = `${createInbox(inboxPrefix)}.`;
    this.subscription = nc.subscribe(`${this.base}*`, { callback: (error, msg) => error === null && this.onReply(msg) });
  }

  /** Requests waiting for a reply. */
  get size(): number {
    return this.pending.size;
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const token = (this.nextToken++).toString(36);
    return new Promise<BusMessage>((resolve, reject) => {
      const entry: Pending = { token, subject, resolve, reject, due: performance.now() + options.timeoutMs, heapIndex: -1 };
      // Published first: a publish that throws (payload too large, closed) leaves nothing pending.
      const publish: PublishOptions = { reply: `${this.base}${token}` };
      if (options.headers !== undefined) publish.headers = toHdrs(options.headers);
      this.nc.publish(subject, data, publish);
      this.pending.set(token, entry);
      this.deadlines.push(entry);
      this.arm();
    });
  }

  /** Fails every waiting request with `error` and refuses new ones (the connection closed). */
  close(error: BusError): void {
    this.closedWith = error;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.subscription.isClosed()) this.subscription.unsubscribe();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.deadlines.drain();
    for (const entry of waiting) entry.reject(error);
  }

  private onReply(msg: Msg): void {
    const arrivedAt = performance.now();
    const token = msg.subject.slice(this.base.length);
    const entry = this.pending.get(token);
    if (entry === undefined) return; // late (timed out) or a second reply
    this.pending.delete(token);
    this.deadlines.remove(entry);
    if (msg.data.length === 0 && msg.headers?.code === NO_RESPONDERS_STATUS) {
      entry.reject(new BusError('NO_RESPONDERS', `nobody serves ${entry.subject}`));
      return;
    }
    entry.resolve(wrapMessage(msg, arrivedAt, this.connected));
  }

  private arm(): void {
    const head = this.deadlines.peek();
    if (head === undefined || (this.timer !== undefined && this.timerDue <= head.due)) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = head.due;
    this.timer = setTimeout(() => this.expire(), Math.max(0, head.due - performance.now()));
  }

  private expire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = performance.now();
    for (let head = this.deadlines.peek(); head !== undefined && head.due <= now; head = this.deadlines.peek()) {
      this.deadlines.remove(head);
      this.pending.delete(head.token);
      head.reject(new BusError('TIMEOUT', `no reply on ${head.subject} in time`));
    }
    this.arm();
  }
}
