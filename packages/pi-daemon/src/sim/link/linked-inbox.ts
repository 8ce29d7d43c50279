import { performance } from 'node:perf_hooks';
import type { Inbox, InboxListener } from '../../nats/inbox.js';
import type { Route } from '../../nats/frames.js';
import type { Unsubscribe } from '../../nats/bus.js';
import type { AgentLink } from './agent-link.js';
import { deliveredMessage } from './linked-bus.js';

/**
 * One virtual agent's view of the process's shared inbox: a frame is verified once for every
 * agent when it reaches the process, then handed to this agent after its own downlink delay,
 * measured from the frame's arrival, so the shared verify does not add to the link.
 */
export class LinkedInbox implements Inbox {
  constructor(
    private readonly inner: Inbox,
    private readonly link: AgentLink,
  ) {}

  listen(route: Route, listener: InboxListener): Unsubscribe {
    return this.inner.listen(route, {
      onMessage: (delivery) =>
        this.link.send(
          'down',
          () => listener.onMessage({ verified: delivery.verified, message: deliveredMessage(delivery.message, this.link, performance.now()) }),
          delivery.message.arrivedAt,
        ),
      // A refused frame crosses the same downlink: the agent's answer to it (TRANSIT) is timed like any other.
      onRefused: (refusal, subject, message) =>
        this.link.send('down', () => listener.onRefused(refusal, subject, deliveredMessage(message, this.link, performance.now())), message.arrivedAt),
    });
  }
}
