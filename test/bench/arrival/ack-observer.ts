// The arrival benchmark's outside observer: a plain NATS client connected straight to
// nats-server (no emulated link in between), subscribed to the lead's ACK subject. It stamps
// each ACK the moment it arrives, on the machine's clock (the clock the sims' true stamps use),
// and keeps only the ids it needs. It does not verify signatures: it judges when, not whether.
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { subjects } from '@mesh30k/shared';
import { connect, type NatsConnection } from 'nats';

/** One ACK as the observer saw it. */
export interface SeenAck {
  messageId: string;
  agentId: string;
  operationId: string;
  /** Arrival at the observer, machine clock (performance.timeOrigin + performance.now()). */
  seenTrueMs: number;
}

interface AckIds {
  message_id?: unknown;
  agent_id?: unknown;
  operation_id?: unknown;
  kind?: unknown;
}

const origin = performance.timeOrigin;
/**
 * The observer's nice value: it is the instrument, and at T the machine's two cores are busy
 * with the sims' sends and the lead's checks, so at the default priority its stamps included
 * its own wait for a CPU. Raised, it is woken ahead of them when the ACKs arrive.
 */
const OBSERVER_NICE = -10;
const decoder = new TextDecoder();

export class AckObserver {
  private readonly seen = new Map<string, SeenAck>();
  /**
   * Arrivals stamped and not yet read: the ACKs of one release come in one burst, and reading
   * each before stamping the next would add the reading of those before it to every stamp.
   */
  private unread: { data: Uint8Array; seenTrueMs: number }[] = [];
  private unreadable = 0;
  /** Whether the observer runs at OBSERVER_NICE (false where the OS refused, e.g. without privilege). */
  prioritized = false;

  private constructor(private readonly connection: NatsConnection) {}

  static async start(natsUrl: string, leadId: string): Promise<AckObserver> {
    const connection = await connect({ servers: natsUrl, name: 'arrival-observer' });
    const observer = new AckObserver(connection);
    try {
      // This thread only (Linux): the one that stamps arrivals.
      setPriority(0, OBSERVER_NICE);
      observer.prioritized = true;
    } catch {
      observer.prioritized = false;
    }
    connection.subscribe(subjects.ack(leadId), {
      callback: (error, message) => {
        // Stamped first: parsing the body is not part of the arrival.
        const seenTrueMs = origin + performance.now();
        if (error !== null) return;
        // Kept as it came (a copy: the client may reuse its buffer) and read when asked for.
        observer.unread.push({ data: message.data.slice(), seenTrueMs });
      },
    });
    // The subscription is registered on the server before any operation is submitted.
    await connection.flush();
    return observer;
  }

  /** Every ACK seen so far, by message id (a redelivery keeps the first arrival). */
  get byMessageId(): ReadonlyMap<string, SeenAck> {
    this.readAll();
    return this.seen;
  }

  /** Frames on the subject that were not readable ACKs (counted, not fatal). */
  get unreadableCount(): number {
    this.readAll();
    return this.unreadable;
  }

  private readAll(): void {
    const unread = this.unread;
    this.unread = [];
    for (const { data, seenTrueMs } of unread) this.record(data, seenTrueMs);
  }

  async stop(): Promise<void> {
    await this.connection.drain();
  }

  private record(data: Uint8Array, seenTrueMs: number): void {
    let ids: AckIds;
    try {
      ids = JSON.parse(decoder.decode(data)) as AckIds;
    } catch {
      this.unreadable++;
      return;
    }
    const { message_id: messageId, agent_id: agentId, operation_id: operationId, kind } = ids;
    if (kind !== 'ACK' || typeof messageId !== 'string' || typeof agentId !== 'string' || typeof operationId !== 'string') {
      this.unreadable++;
      return;
    }
    if (!this.seen.has(messageId)) this.seen.set(messageId, { messageId, agentId, operationId, seenTrueMs });
  }
}
