import type { ConnectionOptions, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { BackoffOptions } from './backoff.js';

/** A half-open link is noticed after about PING_INTERVAL x (MAX_PING_OUT + 1). */
export const DEFAULT_PING_INTERVAL_MS = 10_000;
export const DEFAULT_MAX_PING_OUT = 2;
export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 500, maxMs: 30_000, jitterMs: 1_000 };
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 3_000;

export type ConnectFn = (options: ConnectionOptions) => Promise<NatsConnection>;

export interface SupervisorOptions {
  servers: readonly string[];
  /** Client name the server shows (the agent id, or `sim-<n>`). */
  name: string;
  pingIntervalMs?: number;
  maxPingOut?: number;
  backoff?: Partial<BackoffOptions>;
  connectTimeoutMs?: number;
  drainTimeoutMs?: number;
  /** Where replies to this client's requests arrive; the client's default (_INBOX) when absent. */
  inboxPrefix?: string;
  /**
   * Skip the stack the client captures for every request (to say where a timed-out request
   * came from): a sim sends thousands per second and gains nothing from it.
   */
  noAsyncTraces?: boolean;
  /**
   * Requests share one wildcard reply subscription with one timer for every deadline
   * (RequestInbox) instead of the client's per-request deferred, timer and errors: for a
   * process that sends thousands of requests a second (a sim fleet).
   */
  sharedRequestInbox?: boolean;
  /** TLS and credentials, passed to the client as they are. */
  auth?: Pick<ConnectionOptions, 'tls' | 'authenticator' | 'user' | 'pass' | 'token'>;
}

export interface SupervisorDeps {
  logger: Logger;
  /** The client's connect; replaceable so a test can count dials. */
  connect?: ConnectFn;
}

export type ResolvedSupervisorOptions = Required<Omit<SupervisorOptions, 'auth' | 'backoff' | 'inboxPrefix' | 'noAsyncTraces' | 'sharedRequestInbox'>> &
  Pick<SupervisorOptions, 'auth' | 'inboxPrefix' | 'noAsyncTraces' | 'sharedRequestInbox'> & { backoff: BackoffOptions };

export function resolveSupervisorOptions(options: SupervisorOptions): ResolvedSupervisorOptions {
  return {
    servers: options.servers,
    name: options.name,
    pingIntervalMs: options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
    maxPingOut: options.maxPingOut ?? DEFAULT_MAX_PING_OUT,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    auth: options.auth,
    inboxPrefix: options.inboxPrefix,
    noAsyncTraces: options.noAsyncTraces,
    sharedRequestInbox: options.sharedRequestInbox,
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
  };
}

/**
 * The client's options: wait for the first server however long it takes, reconnect forever,
 * our delay handler (backoff with jitter, and the way to abort a pending first connect), and
 * explicit pings so a half-open link is dropped instead of trusted.
 */
export function clientOptionsFor(options: ResolvedSupervisorOptions, delayHandler: () => number): ConnectionOptions {
  return {
    servers: [...options.servers],
    name: options.name,
    waitOnFirstConnect: true,
    reconnect: true,
    maxReconnectAttempts: -1,
    // Read only by the client's default delay handler, which ours replaces; set for clarity.
    reconnectTimeWait: options.backoff.minMs,
    reconnectJitter: options.backoff.jitterMs,
    reconnectDelayHandler: delayHandler,
    pingInterval: options.pingIntervalMs,
    maxPingOut: options.maxPingOut,
    timeout: options.connectTimeoutMs,
    ...(options.inboxPrefix === undefined ? {} : { inboxPrefix: options.inboxPrefix }),
    ...(options.noAsyncTraces === true ? { noAsyncTraces: true } : {}),
    ...options.auth,
  };
}
