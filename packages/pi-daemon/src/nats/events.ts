/**
 * Connection status as the supervisor reports it, one union on `type` so listeners switch
 * exhaustively. `server` is the URL involved where the client says.
 */
export type ConnectionEvent =
  /** A connection is being built (first boot, or after the client closed one). */
  | { type: 'connecting'; attempt: number }
  | { type: 'connected'; server: string }
  | { type: 'disconnected'; server: string }
  /** The client is dialing again after a disconnect. */
  | { type: 'reconnecting'; server: string }
  | { type: 'reconnected'; server: string }
  /** Pings went unanswered: the link was half-open and is being dropped. */
  | { type: 'stale' }
  /** The server is shutting down (lame duck mode); the client will move on. */
  | { type: 'lame-duck' }
  /** An asynchronous error from the server (permissions, say). */
  | { type: 'error'; error: string }
  /** The client closed the connection; the supervisor rebuilds it unless it is stopping. */
  | { type: 'closed'; error: string | undefined }
  /** The supervisor has stopped for good. */
  | { type: 'stopped' };

export type ConnectionEventType = ConnectionEvent['type'];
export type ConnectionListener = (event: ConnectionEvent) => void;

/** Log event names of the connection supervisor (`event` on its log lines). */
export const NATS_EVENTS = {
  supervisorFailed: 'nats.supervisor_failed',
  drainTimeout: 'nats.drain_timeout',
  drainFailed: 'nats.drain_failed',
  connectFailed: 'nats.connect_failed',
  closed: 'nats.closed',
  subscriptionError: 'nats.subscription_error',
  handlerFailed: 'nats.handler_failed',
  statusEnded: 'nats.status_ended',
  listenerFailed: 'nats.listener_failed',
  /** Prefix of `nats.<ConnectionEvent type>` lines. */
  connectionPrefix: 'nats.',
} as const;
