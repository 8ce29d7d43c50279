import { performance } from 'node:perf_hooks';
import { connect as natsConnect } from 'nats';
import type { ConnectionOptions, NatsConnection, Status, Subscription } from 'nats';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { clientOptionsFor, resolveSupervisorOptions, type ConnectFn, type ResolvedSupervisorOptions, type SupervisorDeps, type SupervisorOptions } from './supervisor-options.js';
import type { Bus, BusMessage, OutgoingHeaders, RequestOptions, Unsubscribe } from './bus.js';
import { BusError } from './errors.js';
import { eventFromStatus, toBusError, toHdrs, wrapMessage } from './client-adapters.js';
import { RequestInbox } from './request-inbox.js';
import { NATS_EVENTS, type ConnectionEvent, type ConnectionListener } from './events.js';

interface Registered {
  subject: string;
  onMessage: (message: BusMessage) => void;
  live: Subscription | undefined;
}

/** Thrown from the client's delay handler: the only way to stop its first-connect dial loop. */
class StopDialing extends Error {
  override readonly name = 'StopDialing';
}

/**
 * Owns the one NATS connection of a process. Dials until a server answers (also when none is
 * up at boot), reconnects forever with backoff and jitter, notices half-open links through
 * pings, rebuilds the connection if the client ever closes it, and drains on stop.
 * Subscriptions are registered here and survive reconnects and rebuilds.
 */
export class NatsSupervisor implements Bus {
  private readonly options: ResolvedSupervisorOptions;
  private readonly backoff: BackoffOptions;
  private readonly log: Logger;
  private readonly connectFn: ConnectFn;
  private nc: NatsConnection | undefined;
  /** The current connection's shared reply subscription (option sharedRequestInbox). */
  private inbox: RequestInbox | undefined;
  private up = false;
  private downSince = performance.now();
  private stopping = false;
  private started = false;
  private running: Promise<void> | undefined;
  /** True while a connect() is outstanding: the client's dial loop cannot be awaited out. */
  private dialing = false;
  private wake: (() => void) | undefined;
  private nextId = 0;
  private readonly subs = new Map<number, Registered>();
  private readonly listeners = new Set<ConnectionListener>();

  constructor(options: SupervisorOptions, deps: SupervisorDeps) {
    this.options = resolveSupervisorOptions(options);
    this.backoff = this.options.backoff;
    this.log = deps.logger;
    this.connectFn = deps.connect ?? natsConnect;
  }

  get connected(): boolean {
    return this.up && !this.stopping;
  }

  /** Starts dialing in the background; returns at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.running = this.superviseLoop().catch((error: unknown) => {
      this.log.error({ event: NATS_EVENTS.supervisorFailed, err: error }, 'NATS supervisor stopped unexpectedly');
    });
  }

  /** Resolves once connected (at once if connected now); rejects with CLOSED if stopped first. */
  whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.onEvent((event) => {
        if (event.type === 'connected' || event.type === 'reconnected') {
          off();
          resolve();
        } else if (event.type === 'stopped') {
          off();
          reject(new BusError('CLOSED', 'the NATS supervisor stopped before connecting'));
        }
      });
    });
  }

  onEvent(listener: ConnectionListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribe(subject: string, onMessage: (message: BusMessage) => void): Unsubscribe {
    const id = this.nextId++;
    const entry: Registered = { subject, onMessage, live: undefined };
    this.subs.set(id, entry);
    if (this.nc !== undefined && !this.nc.isClosed()) this.attach(this.nc, entry);
    return () => {
      this.subs.delete(id);
      entry.live?.unsubscribe();
      entry.live = undefined;
    };
  }

  publish(subject: string, data: Uint8Array, headers?: OutgoingHeaders): void {
    const nc = this.usable();
    nc.publish(subject, data, headers === undefined ? undefined : { headers: toHdrs(headers) });
  }

  /**
   * The client writes what it buffered at the end of the turn; this writes it now. The client's
   * flush also sends a PING, whose PONG is not waited for (a failed one is the connection's
   * business, seen by the supervisor).
   */
  flush(): void {
    const nc = this.nc;
    if (nc === undefined || !this.up || this.stopping || nc.isClosed()) return;
    nc.flush().catch(() => undefined);
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage> {
    const nc = this.usable();
    if (this.inbox !== undefined) {
      try {
        return await this.inbox.request(subject, data, options);
      } catch (error) {
        throw error instanceof BusError ? error : toBusError(error, subject);
      }
    }
    try {
      const reply = await nc.request(subject, data, {
        timeout: options.timeoutMs,
        ...(options.headers === undefined ? {} : { headers: toHdrs(options.headers) }),
      });
      return wrapMessage(reply, performance.now(), () => this.connected);
    } catch (error) {
      throw toBusError(error, subject);
    }
  }

  /** Stops for good: drains the connection (bounded), or closes it when the link is down. */
  async stop(): Promise<void> {
    if (this.stopping) return this.running;
    this.stopping = true;
    const nc = this.nc;
    if (nc !== undefined && !nc.isClosed()) {
      if (this.up) await this.drain(nc);
      else await nc.close().catch(() => undefined);
    }
    this.up = false;
    this.wake?.();
    this.emit({ type: 'stopped' });
    // A pending connect() cannot be interrupted from outside; the client's dial loop ends at
    // its next delay (our delay handler throws), so it is not waited for here.
    if (!this.dialing) await this.running;
  }

  private async drain(nc: NatsConnection): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.drainTimeoutMs);
    });
    try {
      const outcome = await Promise.race([nc.drain().then(() => 'drained' as const), timeout]);
      if (outcome === 'timeout') {
        this.log.warn({ event: NATS_EVENTS.drainTimeout }, 'NATS drain did not finish in time; closing');
        await nc.close();
      }
    } catch (error) {
      this.log.warn({ event: NATS_EVENTS.drainFailed, err: error }, 'NATS drain failed; closing');
      await nc.close().catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  private usable(): NatsConnection {
    if (this.stopping) throw new BusError('CLOSED', 'the NATS supervisor is stopping');
    const nc = this.nc;
    if (nc === undefined || !this.up || nc.isClosed()) throw new BusError('NOT_CONNECTED', 'not connected to NATS');
    return nc;
  }

  private async superviseLoop(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      this.emit({ type: 'connecting', attempt });
      let nc: NatsConnection;
      this.dialing = true;
      try {
        nc = await this.connectFn(this.clientOptions());
      } catch (error) {
        if (this.stopping) break;
        this.log.error({ event: NATS_EVENTS.connectFailed, err: error }, 'NATS connect failed; retrying');
        await this.pause(this.nextDelay());
        continue;
      } finally {
        this.dialing = false;
      }
      if (this.stopping) {
        await nc.close().catch(() => undefined);
        break;
      }
      this.adopt(nc);
      const closedWith = await nc.closed();
      this.inbox?.close(new BusError('CLOSED', 'the NATS connection closed while waiting for a reply'));
      this.inbox = undefined;
      this.up = false;
      this.downSince = performance.now();
      for (const entry of this.subs.values()) entry.live = undefined;
      if (this.stopping) break;
      const error = closedWith === undefined ? undefined : closedWith.message;
      this.emit({ type: 'closed', error });
      this.log.warn({ event: NATS_EVENTS.closed, error }, 'NATS client closed its connection; rebuilding');
      await this.pause(this.nextDelay());
    }
  }

  private adopt(nc: NatsConnection): void {
    this.nc = nc;
    if (this.options.sharedRequestInbox === true) this.inbox = new RequestInbox(nc, () => this.connected, this.options.inboxPrefix);
    this.up = true;
    for (const entry of this.subs.values()) this.attach(nc, entry);
    void this.watchStatus(nc);
    this.emit({ type: 'connected', server: nc.getServer() });
  }

  private attach(nc: NatsConnection, entry: Registered): void {
    entry.live = nc.subscribe(entry.subject, {
      callback: (error, msg) => {
        if (error !== null) {
          this.log.warn({ event: NATS_EVENTS.subscriptionError, subject: entry.subject, err: error }, 'subscription error');
          return;
        }
        const wrapped = wrapMessage(msg, performance.now(), () => this.connected);
        try {
          entry.onMessage(wrapped);
        } catch (cause) {
          // A bug in one handler must not take the connection's dispatch down with it.
          this.log.error({ event: NATS_EVENTS.handlerFailed, subject: entry.subject, err: cause }, 'message handler threw');
        }
      },
    });
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    try {
      for await (const status of nc.status()) this.onStatus(status);
    } catch (error) {
      this.log.debug({ event: NATS_EVENTS.statusEnded, err: error }, 'status stream ended');
    }
  }

  private onStatus(status: Status): void {
    const event = eventFromStatus(status);
    if (event === undefined) return;
    if (event.type === 'disconnected') {
      this.up = false;
      this.downSince = performance.now();
    } else if (event.type === 'reconnected') {
      this.up = true;
    }
    this.emit(event);
  }

  private clientOptions(): ConnectionOptions {
    return clientOptionsFor(this.options, () => {
      if (this.stopping) throw new StopDialing('supervisor stopped');
      return this.nextDelay();
    });
  }

  /** A wait that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private nextDelay(): number {
    return backoffDelay(performance.now() - this.downSince, this.backoff);
  }

  private emit(event: ConnectionEvent): void {
    this.log.debug({ event: `${NATS_EVENTS.connectionPrefix}${event.type}` }, 'NATS connection event');
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ event: NATS_EVENTS.listenerFailed, err: error }, 'connection listener threw');
      }
    }
  }
}
