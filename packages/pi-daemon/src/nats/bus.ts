import type { ConnectionListener } from './events.js';

/** Headers as read from a message; a missing header is undefined. */
export interface HeaderReader {
  get(name: string): string | undefined;
}

export type OutgoingHeaders = Readonly<Record<string, string>>;

export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: HeaderReader;
  /** Monotonic ms (performance.now()) when the client handed the message over. */
  readonly arrivedAt: number;
  /** Replies to a request; false when the message was not a request or the link is down. */
  respond(data: Uint8Array, headers?: OutgoingHeaders): boolean;
}

export interface RequestOptions {
  timeoutMs: number;
  headers?: OutgoingHeaders;
}

export type Unsubscribe = () => void;

/**
 * The narrow messaging surface the agent core uses. NatsSupervisor implements it over one NATS
 * connection that may be rebuilt underneath; subscriptions survive reconnects and rebuilds.
 * Publish and request fail fast with BusError NOT_CONNECTED while disconnected instead of
 * queueing into the client's reconnect buffer.
 */
export interface Bus {
  readonly connected: boolean;
  publish(subject: string, data: Uint8Array, headers?: OutgoingHeaders): void;
  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage>;
  subscribe(subject: string, onMessage: (message: BusMessage) => void): Unsubscribe;
  onEvent(listener: ConnectionListener): Unsubscribe;
  /**
   * Hands what the client has buffered to the socket now (one write), instead of when the
   * current event-loop turn ends. For a caller that sends many messages in one long turn (a
   * sim's emulated links); optional, a no-op where the bus has nothing buffered.
   */
  flush?(): void;
}
