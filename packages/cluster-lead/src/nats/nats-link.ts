import { readFile } from 'node:fs/promises';
import type { Clock } from '@mesh30k/shared';
import { Events, connect, credsAuthenticator, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from 'nats';
import { LEAD_EVENTS, type EventBus } from '../lib/events.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export interface NatsLinkOptions {
  servers: readonly string[];
  name: string;
  tls?: { ca_file?: string | undefined; cert_file?: string | undefined; key_file?: string | undefined } | undefined;
  credentialsFile?: string | undefined;
  /** The lead's nkey seed, read and checked at start (nats-config/seed.ts). */
  nkeySeed?: Uint8Array | undefined;
  /** Where replies to this lead's requests arrive (inboxPrefix(leadId)), so the broker can keep them private. */
  inboxPrefix?: string | undefined;
  reconnectWaitMs: number;
}

export interface NatsLinkDeps {
  clock: Clock;
  events: EventBus;
  logger: Logger;
}

type ConnectedListener = (nc: NatsConnection) => void;

/**
 * The lead's NATS connection, owned in one place. It connects in the background and keeps
 * trying while no server answers, so the lead starts and serves its API with NATS down at
 * boot; once connected the client's own reconnect logic takes over, and this link reports
 * disconnects and reconnects as events.
 */
export class NatsLink {
  private nc: NatsConnection | undefined;
  private up = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly listeners: ConnectedListener[] = [];
  private readonly resumeListeners: (() => void)[] = [];
  private readonly lostListeners: (() => void)[] = [];

  constructor(
    private readonly deps: NatsLinkDeps,
    private readonly options: NatsLinkOptions,
  ) {}

  get connection(): NatsConnection | undefined {
    return this.up ? this.nc : undefined;
  }

  isConnected(): boolean {
    return this.up;
  }

  /** Runs once the first connection is made (at once if it already is). */
  onConnected(listener: ConnectedListener): void {
    this.listeners.push(listener);
    if (this.nc !== undefined) listener(this.nc);
  }

  /** Runs at every disconnect. */
  onLost(listener: () => void): void {
    this.lostListeners.push(listener);
  }

  /** Runs after every reconnect (not the first connect). */
  onResumed(listener: () => void): void {
    this.resumeListeners.push(listener);
  }

  start(): void {
    this.attempt().catch((error: unknown) => this.deps.logger.error({ err: error }, 'NATS connect loop failed'));
  }

  /** Drains subscriptions and closes; also cancels a pending connect. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const nc = this.nc;
    this.nc = undefined;
    this.up = false;
    if (nc === undefined || nc.isClosed()) return;
    try {
      await nc.drain();
    } catch {
      await nc.close();
    }
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    let nc: NatsConnection;
    try {
      nc = await connect(await this.connectionOptions());
    } catch (error) {
      this.deps.logger.warn({ err: describeError(error), servers: this.options.servers }, 'NATS not reachable; retrying');
      if (!this.stopped) this.retryTimer = setTimeout(() => this.start(), this.options.reconnectWaitMs);
      return;
    }
    if (this.stopped) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.up = true;
    this.deps.events.emit({ name: LEAD_EVENTS.natsConnected, at: this.deps.clock.now(), server: nc.getServer() });
    this.watch(nc).catch((error: unknown) => this.deps.logger.error({ err: error }, 'NATS status watch failed'));
    for (const listener of this.listeners) listener(nc);
  }

  private async watch(nc: NatsConnection): Promise<void> {
    const closed = nc.closed().then(() => {
      this.up = false;
    });
    for await (const status of nc.status()) {
      const server = typeof status.data === 'string' ? status.data : null;
      // Other statuses (cluster updates, pings, lame duck) change nothing the lead tracks.
      if (status.type === Events.Disconnect) {
        this.up = false;
        this.deps.events.emit({ name: LEAD_EVENTS.natsDisconnected, at: this.deps.clock.now(), server });
        for (const listener of this.lostListeners) listener();
      } else if (status.type === Events.Reconnect) {
        this.up = true;
        this.deps.events.emit({ name: LEAD_EVENTS.natsReconnected, at: this.deps.clock.now(), server });
        for (const listener of this.resumeListeners) listener();
      }
    }
    await closed;
  }

  private connectionOptions(): Promise<ConnectionOptions> {
    return natsConnectionOptions(this.options);
  }
}

/** The client options for a lead connection (the lease thread opens its own with them). */
export async function natsConnectionOptions(link: NatsLinkOptions): Promise<ConnectionOptions> {
  const options: ConnectionOptions = {
    servers: [...link.servers],
    name: link.name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: link.reconnectWaitMs,
    ...(link.inboxPrefix === undefined ? {} : { inboxPrefix: link.inboxPrefix }),
  };
  const tls = link.tls;
  if (tls !== undefined) {
    options.tls = {
      ...(tls.ca_file === undefined ? {} : { caFile: tls.ca_file }),
      ...(tls.cert_file === undefined ? {} : { certFile: tls.cert_file }),
      ...(tls.key_file === undefined ? {} : { keyFile: tls.key_file }),
    };
  }
  if (link.credentialsFile !== undefined) {
    options.authenticator = credsAuthenticator(new Uint8Array(await readFile(link.credentialsFile)));
  }
  if (link.nkeySeed !== undefined) options.authenticator = nkeyAuthenticator(link.nkeySeed);
  return options;
}
