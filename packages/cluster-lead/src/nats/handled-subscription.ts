/**
 * A subscription whose messages are handled asynchronously, with a clean stop: draining it
 * stops new messages, then stop() waits for the handlers already running. A handler that
 * throws is logged under `what`, never left as an unhandled rejection.
 */
import type { Msg, NatsConnection, Subscription } from 'nats';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export interface HandledSubscriptionOptions {
  subject: string;
  /** Queue group, so one of several leads takes each message. */
  queue?: string;
  /** Names the work in logs: "heartbeat", "session". */
  what: string;
  /** Handles one message; returns a promise when it finishes later, nothing when it is done. */
  handle(msg: Msg): Promise<void> | undefined;
  logger: Logger;
}

export class HandledSubscription {
  private subscription: Subscription | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: HandledSubscriptionOptions) {}

  get active(): boolean {
    return this.subscription !== undefined;
  }

  /** Subscribes once; resolves when the server has the subscription (messages can reach us). */
  async open(nc: NatsConnection): Promise<void> {
    if (this.subscription !== undefined) return;
    const { subject, queue, what, logger } = this.options;
    this.subscription = nc.subscribe(subject, {
      ...(queue === undefined ? {} : { queue }),
      callback: (error, msg) => {
        if (error !== null) {
          logger.error({ err: describeError(error) }, `${what} subscription error`);
          return;
        }
        let work: Promise<void> | undefined;
        try {
          work = this.options.handle(msg);
        } catch (thrown) {
          logger.error({ err: describeError(thrown) }, `${what} handling failed`);
          return;
        }
        if (work !== undefined) this.track(work);
      },
    });
    await nc.flush();
  }

  /** Stops taking messages and waits for those already being handled. */
  async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    if (subscription !== undefined && !subscription.isClosed()) await subscription.drain().catch(() => undefined);
    await Promise.all([...this.inFlight]);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.options.logger.error({ err: describeError(error) }, `${this.options.what} handling failed`));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}
