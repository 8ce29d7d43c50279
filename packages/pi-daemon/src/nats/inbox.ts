import type { Ed25519, KeyResolver, Verified, WireRefusal } from '@mesh30k/shared';
import type { Logger } from 'pino';
import { LogEvent } from '../logging/events.js';
import type { Bus, BusMessage, Unsubscribe } from './bus.js';
import { subjectOf, verifyOn, type Route } from './frames.js';

export interface InboxDelivery {
  readonly verified: Verified;
  /** The raw message: its arrival instant, and `respond` for requests. */
  readonly message: BusMessage;
}

export interface InboxListener {
  onMessage(delivery: InboxDelivery): void;
  /** Told about every refused frame on the subject (the frame too); the inbox has logged it already. */
  onRefused(refusal: WireRefusal, subject: string, message: BusMessage): void;
}

export interface InboxDeps {
  bus: Bus;
  ed25519: Ed25519;
  /** Keys of the leads this process trusts, by signer id. */
  resolveKey: KeyResolver;
  logger: Logger;
  /** Largest frame accepted; default the protocol's limit. */
  maxBytes?: number;
}

/** What an agent needs of an inbox: to listen on its routes. */
export interface Inbox {
  listen(route: Route, listener: InboxListener): Unsubscribe;
}

interface Channel {
  route: Route;
  listeners: Set<InboxListener>;
  unsubscribe: Unsubscribe;
}

/**
 * Incoming signed frames, verified once and handed to every listener of their subject. A real
 * agent has one listener per subject; in simulation thousands of virtual agents listen to the
 * same group subject over one connection, and one Ed25519 verify serves them all. Refusals are
 * logged here once per frame and then reported to each listener for its counters.
 */
export class MeshInbox implements Inbox {
  private readonly channels = new Map<string, Channel>();
  private readonly refusals = new Map<string, number>();

  constructor(private readonly deps: InboxDeps) {}

  listen(route: Route, listener: InboxListener): Unsubscribe {
    const subject = subjectOf(route);
    let channel = this.channels.get(subject);
    if (channel === undefined) {
      const created: Channel = { route, listeners: new Set(), unsubscribe: () => undefined };
      created.unsubscribe = this.deps.bus.subscribe(subject, (message) => this.receive(created, message));
      this.channels.set(subject, created);
      channel = created;
    }
    channel.listeners.add(listener);
    const owned = channel;
    return () => {
      owned.listeners.delete(listener);
      if (owned.listeners.size === 0 && this.channels.get(subject) === owned) {
        owned.unsubscribe();
        this.channels.delete(subject);
      }
    };
  }

  /** Frames refused so far, by code. */
  refusedByCode(): Record<string, number> {
    return Object.fromEntries(this.refusals);
  }

  get subscriptions(): number {
    return this.channels.size;
  }

  private receive(channel: Channel, message: BusMessage): void {
    verifyOn(channel.route.family, message, {
      ed25519: this.deps.ed25519,
      resolveKey: this.deps.resolveKey,
      ...(this.deps.maxBytes === undefined ? {} : { maxBytes: this.deps.maxBytes }),
    })
      .then((result) => {
        if (result.ok) {
          for (const listener of [...channel.listeners]) listener.onMessage({ verified: result.value, message });
          return;
        }
        const refusal = result.error;
        this.refusals.set(refusal.code, (this.refusals.get(refusal.code) ?? 0) + 1);
        this.deps.logger.warn(
          { event: LogEvent.MESSAGE_REFUSED, subject: message.subject, code: refusal.code, path: refusal.path, bytes: message.data.byteLength },
          `refused a frame on ${message.subject}: ${refusal.message}`,
        );
        for (const listener of [...channel.listeners]) listener.onRefused(refusal, message.subject, message);
      })
      .catch((error: unknown) => {
        this.deps.logger.error({ event: 'frame.dispatch_failed', subject: message.subject, err: error }, 'dispatching a frame failed');
      });
  }
}
