// A user-space stand-in for netem: a TCP proxy that delays, jitters and "loses" (delays by a
// retransmission) the bytes of each connection, per direction, without ever reordering them.
//
// Modelling notes: a chunk is whatever one socket read returned, not a TCP segment; the
// link has no bandwidth limit and buffers without bound; the TCP handshake itself is not
// delayed (the first bytes each way are).
import { connect, createServer, type Server, type Socket } from 'node:net';
import { DelayPipe, type ChunkTap, type DirectionCounters } from './delay-pipe.js';
import { checkProfile, defaultRetransmitMs, sampleDelay, type DelaySample, type LinkProfile } from './link-profile.js';
import { LOOPBACK } from './ports.js';
import { deriveSeed, mulberry32 } from './random.js';

/** up = client -> target, down = target -> client. */
export type LinkDirection = 'up' | 'down';

export const DEFAULT_LINK_SEED = 0x6d657368;

export interface LinkOptions {
  target: { host: string; port: number };
  up: LinkProfile;
  down: LinkProfile;
  /** Seeds every random draw, so a run can be replayed; a fixed default keeps runs repeatable. */
  seed?: number;
  /** Where the link listens; defaults to 127.0.0.1 on a free port. */
  host?: string;
  port?: number;
  /** Told of every up chunk as it leaves the link (a benchmark finds which messages it carried and how long they were held). */
  tapUp?: ChunkTap;
}

export interface LinkStats {
  readonly connections: { readonly opened: number; readonly open: number };
  readonly up: Readonly<DirectionCounters>;
  readonly down: Readonly<DirectionCounters>;
}

export interface Link {
  readonly host: string;
  readonly port: number;
  /** e.g. url('nats') -> nats://127.0.0.1:PORT, url('http') -> http://127.0.0.1:PORT */
  url(scheme: string): string;
  profile(direction: LinkDirection): Readonly<LinkProfile>;
  /** Applies to chunks that arrive after the call; chunks already queued keep their times. */
  setProfile(direction: LinkDirection | 'both', profile: LinkProfile): void;
  stats(): LinkStats;
  /** Stops listening and destroys every proxied connection. */
  close(): Promise<void>;
}

const DIRECTION_INDEX: Record<LinkDirection, number> = { up: 0, down: 1 };

export async function startLink(options: LinkOptions): Promise<Link> {
  const link = new LinkEmulator(options);
  await link.listen(options.host ?? LOOPBACK, options.port ?? 0);
  return link;
}

class LinkEmulator implements Link {
  private readonly profiles: Record<LinkDirection, Readonly<LinkProfile>>;
  private readonly counters: Record<LinkDirection, DirectionCounters> = { up: emptyCounters(), down: emptyCounters() };
  private readonly sockets = new Set<Socket>();
  private readonly pipes = new Set<DelayPipe>();
  private readonly server: Server;
  private readonly seed: number;
  private opened = 0;
  private open = 0;
  private closing: Promise<void> | undefined;
  private address = { host: LOOPBACK, port: 0 };

  constructor(private readonly options: LinkOptions) {
    this.profiles = { up: checkProfile(options.up), down: checkProfile(options.down) };
    this.seed = options.seed ?? DEFAULT_LINK_SEED;
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.proxy(client));
  }

  get host(): string {
    return this.address.host;
  }

  get port(): number {
    return this.address.port;
  }

  url(scheme: string): string {
    return `${scheme}://${this.host}:${this.port}`;
  }

  profile(direction: LinkDirection): Readonly<LinkProfile> {
    return this.profiles[direction];
  }

  setProfile(direction: LinkDirection | 'both', profile: LinkProfile): void {
    const checked = checkProfile(profile);
    if (direction === 'both' || direction === 'up') this.profiles.up = checked;
    if (direction === 'both' || direction === 'down') this.profiles.down = checked;
  }

  stats(): LinkStats {
    return {
      connections: { opened: this.opened, open: this.open },
      up: { ...this.counters.up },
      down: { ...this.counters.down },
    };
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address !== null && typeof address === 'object') this.address = { host, port: address.port };
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const pipe of this.pipes) pipe.dispose();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private proxy(client: Socket): void {
    if (this.closing !== undefined) {
      client.destroy();
      return;
    }
    const index = this.opened++;
    const { host, port } = this.options.target;
    const target = connect({ host, port, allowHalfOpen: true, noDelay: true });
    const up = new DelayPipe(client, target, this.sampler('up', index), this.counters.up, this.options.tapUp);
    const down = new DelayPipe(target, client, this.sampler('down', index), this.counters.down);
    this.open += 1;
    this.pipes.add(up).add(down);
    let closedSockets = 0;
    // A pipe may still drain after its source closed, so it is forgotten only with both sockets.
    const onClose = (): void => {
      closedSockets += 1;
      if (closedSockets < 2) return;
      this.open -= 1;
      this.pipes.delete(up);
      this.pipes.delete(down);
    };
    this.track(client, target, up, down, onClose);
    this.track(target, client, down, up, onClose);
  }

  /** Wires one socket's failure and close handling; `outgoing` reads from it, `incoming` writes to it. */
  private track(socket: Socket, peer: Socket, outgoing: DelayPipe, incoming: DelayPipe, onClose: () => void): void {
    this.sockets.add(socket);
    // A failed socket takes its peer with it, as a reset would on a real path.
    socket.on('error', () => {
      outgoing.dispose();
      incoming.dispose();
      peer.destroy();
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      onClose();
      incoming.dispose();
      // Closed after a clean FIN: what it sent is still in flight and must reach the peer.
      if (outgoing.ended) return;
      outgoing.dispose();
      peer.destroy();
    });
  }

  private sampler(direction: LinkDirection, connection: number): () => DelaySample {
    const random = mulberry32(deriveSeed(this.seed, connection, DIRECTION_INDEX[direction]));
    return () => {
      const retransmitMs = defaultRetransmitMs(this.profiles.up, this.profiles.down);
      return sampleDelay(this.profiles[direction], random, retransmitMs);
    };
  }
}

function emptyCounters(): DirectionCounters {
  return { bytes: 0, chunks: 0, lostChunks: 0, queuedBytes: 0 };
}
