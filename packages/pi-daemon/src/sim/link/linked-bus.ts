import { performance } from 'node:perf_hooks';
import type { Bus, BusMessage, OutgoingHeaders, RequestOptions, Unsubscribe } from '../../nats/bus.js';
import { BusError } from '../../nats/errors.js';
import type { ConnectionListener } from '../../nats/events.js';
import type { AgentLink } from './agent-link.js';
import { UplinkTicket } from './uplink-ticket.js';

/**
 * A message as the agent sees it after its link: arrived when the link delivered it, and
 * answered back over the same link. Reading the inner message is all it shares.
 */
export function deliveredMessage(message: BusMessage, link: AgentLink, arrivedAt: number): BusMessage {
  return {
    subject: message.subject,
    data: message.data,
    headers: message.headers,
    arrivedAt,
    respond: (data, headers) => {
      link.send('up', () => message.respond(data, headers));
      return true;
    },
  };
}

/**
 * One virtual agent's view of the shared NATS connection through its own AgentLink: what it
 * publishes leaves after the uplink's delay, what it receives arrives after the downlink's,
 * each direction in order. The connection state and its events are the shared connection's.
 */
export class LinkedBus implements Bus {
  /**
   * The last message sent up: its emulated delay (an outside observer subtracts it) and when
   * the link handed it to the connection. Undefined before the first send.
   */
  lastUplink: UplinkTicket | undefined = undefined;

  /**
   * `sentAt` dates what the agent sends (monotonic ms; now by default): a process releasing
   * many agents at once dates each send as it would have come on the agent's own device, so
   * the link's delay runs from there and not from the agent's turn in the process's queue.
   */
  constructor(
    private readonly inner: Bus,
    private readonly link: AgentLink,
    private readonly sentAt: () => number = () => performance.now(),
  ) {}

  get connected(): boolean {
    return this.inner.connected;
  }

  publish(subject: string, data: Uint8Array, headers?: OutgoingHeaders): void {
    if (!this.inner.connected) throw new BusError('NOT_CONNECTED', `not connected; ${subject} not sent`);
    // A message lost to a disconnect while in flight is what a real link does too.
    this.sendUp(() => {
      if (this.inner.connected) this.inner.publish(subject, data, headers);
    });
  }

  /** The timeout covers both legs: an answer that crosses back after it is a TIMEOUT. */
  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage> {
    if (!this.inner.connected) return Promise.reject(new BusError('NOT_CONNECTED', `not connected; ${subject} not sent`));
    const deadline = performance.now() + options.timeoutMs;
    return new Promise<BusMessage>((resolve, reject) => {
      this.sendUp(() => {
        const left = deadline - performance.now();
        if (left <= 0) return reject(new BusError('TIMEOUT', `request on ${subject} timed out on the uplink`));
        this.inner.request(subject, data, { ...options, timeoutMs: left }).then(
          (reply) =>
            this.link.send(
              'down',
              () => {
                const now = performance.now();
                if (now > deadline) reject(new BusError('TIMEOUT', `the answer on ${subject} came back after the timeout`));
                else resolve(deliveredMessage(reply, this.link, now));
              },
              reply.arrivedAt,
            ),
          (error: unknown) => this.link.send('down', () => reject(error instanceof Error ? error : new BusError('FAILED', String(error)))),
        );
      });
    });
  }

  subscribe(subject: string, onMessage: (message: BusMessage) => void): Unsubscribe {
    return this.inner.subscribe(subject, (message) =>
      this.link.send('down', () => onMessage(deliveredMessage(message, this.link, performance.now())), message.arrivedAt),
    );
  }

  onEvent(listener: ConnectionListener): Unsubscribe {
    return this.inner.onEvent(listener);
  }

  /** Sends over the uplink with a ticket that notes when the link hands the message over. */
  private sendUp(deliver: () => void): void {
    const ticket = new UplinkTicket();
    const sentAt = this.sentAt();
    ticket.sentAt = sentAt;
    ticket.delayMs = this.link.send(
      'up',
      () => {
        ticket.handed();
        deliver();
      },
      sentAt,
      () => ticket.dropped(),
    );
    this.lastUplink = ticket;
  }
}
