// The observer's view of a `gateway` profile, where every agent of a sim shares one emulated
// link that lives in the benchmark process (the sim cannot know how long its ACK was held).
// Each chunk the gateway's uplink lets go is scanned for the message ids it carries; an ACK's
// time in the gateway (its own delay plus the wait behind other agents' bytes) is what the
// observer subtracts, as it subtracts a per-agent link's delay.
import { performance } from 'node:perf_hooks';
import type { ObservedLine } from './observed.js';

/** One message held by the gateway, machine clock. */
export interface GatewayHold {
  acceptedTrueMs: number;
  releasedTrueMs: number;
}

const origin = performance.timeOrigin;
const decoder = new TextDecoder();
const ACK_KIND = '"kind":"ACK"';
const MESSAGE_ID = /"message_id":"([^"]+)"/g;

export class GatewayTap {
  private readonly held = new Map<string, GatewayHold>();

  /** The harness's ChunkTap: monotonic instants of one chunk leaving the gateway's uplink. */
  readonly onChunk = (data: Buffer, acceptedAt: number, releasedAt: number): void => {
    const text = decoder.decode(data);
    // Only chunks that carry an ACK are kept (heartbeats are most of the traffic).
    if (!text.includes(ACK_KIND)) return;
    for (const match of text.matchAll(MESSAGE_ID)) {
      const id = match[1]!;
      if (!this.held.has(id)) this.held.set(id, { acceptedTrueMs: origin + acceptedAt, releasedTrueMs: origin + releasedAt });
    }
  };

  /** Message ids seen so far (an ACK split over two chunks may be missed: it stays unmatched). */
  get size(): number {
    return this.held.size;
  }

  get(messageId: string): GatewayHold | undefined {
    return this.held.get(messageId);
  }
}

/**
 * Lines whose sim knew no uplink (gateway) get the gateway's hold time as their uplink delay,
 * and its release as the instant the link let the ACK go; other lines are returned as they are.
 */
export function withGatewayHolds<T extends ObservedLine>(lines: readonly T[], holds: { get(messageId: string): GatewayHold | undefined }): T[] {
  return lines.map((line) => {
    if (line.uplink_delay_ms !== undefined || line.ack_message_id === undefined) return line;
    const hold = holds.get(line.ack_message_id);
    if (hold === undefined) return line;
    return { ...line, uplink_delay_ms: hold.releasedTrueMs - hold.acceptedTrueMs, uplink_out_true_ms: hold.releasedTrueMs };
  });
}
