// The unit seam for the bus: records every published frame with the clock time it left, and
// hands ACK frames to the engine's handler as the NATS transport would.
import { Coordinate } from '@mesh30k/shared';
import type { Clock, IncomingFrame, SignedFrame } from '@mesh30k/shared';
import type { AckHandler, AckReply, ScatterTransport, Unsubscribe } from '../../../src/scatter/ports.js';

export interface PublishedFrame {
  readonly channel: 'group' | 'agent';
  /** Lead id for the group subject, agent id for an agent subject. */
  readonly to: string;
  readonly at: number;
  readonly frame: SignedFrame;
  readonly message: Coordinate;
}

const decoder = new TextDecoder();

export class MemoryTransport implements ScatterTransport {
  readonly published: PublishedFrame[] = [];
  /** Agent ids whose publish throws, as a closed connection would. */
  readonly failing = new Set<string>();
  private handler: AckHandler | null = null;

  constructor(private readonly clock: Clock) {}

  publishToGroup(leadId: string, frame: SignedFrame): void {
    this.record('group', leadId, frame);
  }

  publishToAgent(agentId: string, frame: SignedFrame): void {
    if (this.failing.has(agentId)) throw new Error(`connection closed (publish to ${agentId})`);
    this.record('agent', agentId, frame);
  }

  subscribeAcks(handler: AckHandler): Unsubscribe {
    this.handler = handler;
    return { unsubscribe: () => (this.handler = null) };
  }

  get subscribed(): boolean {
    return this.handler !== null;
  }

  deliver(frame: IncomingFrame): Promise<AckReply> {
    if (this.handler === null) throw new Error('nobody subscribed to ACKs');
    return this.handler(frame);
  }

  /** The COORDINATE an agent acts on: its own, or the group message whose selector lists it. */
  coordinateFor(agentId: string, groupMembers: (message: Coordinate) => readonly string[]): Coordinate | undefined {
    const own = this.published.find((p) => p.channel === 'agent' && p.to === agentId);
    if (own !== undefined) return own.message;
    return this.published.find((p) => p.channel === 'group' && groupMembers(p.message).includes(agentId))?.message;
  }

  private record(channel: PublishedFrame['channel'], to: string, frame: SignedFrame): void {
    const message = Coordinate.parse(JSON.parse(decoder.decode(frame.body)));
    this.published.push({ channel, to, at: this.clock.now(), frame, message });
  }
}
