/** What the lead's main thread and its lease thread (lease-worker.ts) tell each other. */
import type { LevelWithSilent } from 'pino';
import type { NatsLinkOptions } from '../nats/nats-link.js';
import type { LeaseLoss } from './lease-keeper.js';

/** workerData of a lease thread; everything structured-cloneable. */
export interface LeaseThreadData {
  /** The LeaseBoard's memory (lease-board.ts). */
  readonly board: SharedArrayBuffer;
  /** The lead's own connection options; the thread opens a connection of its own with them. */
  readonly nats: NatsLinkOptions;
  readonly lease: { readonly bucket: string; readonly key: string; readonly ttlMs: number; readonly rideThroughMs: number; readonly replicas: number; readonly holder: string };
  /** The main thread's beat may be this old at most for the thread to renew or take the lease. */
  readonly stallMs: number;
  readonly log: { readonly level: LevelWithSilent; readonly leadId: string; readonly clusterId: string };
  /** From source only: the module a tsx-registering boot file loads (lease-worker-boot.mjs). */
  readonly entry?: string;
}

export type FromLeaseThread =
  | { readonly type: 'opened'; readonly ttlMs: number; readonly maxAgeMs: number; readonly failedAttempts: number }
  | { readonly type: 'open-failed'; readonly error: string; readonly attempt: number; readonly retryInMs: number }
  | { readonly type: 'acquired'; readonly epoch: number }
  | { readonly type: 'lost'; readonly epoch: number; readonly reason: LeaseLoss }
  /** A step of a ride-through (lease-keeper.ts RideEvent), for the lead's counters. */
  | { readonly type: 'ride'; readonly ride: RideStep }
  | { readonly type: 'stopped' };

/** `extended` is the first extension of a ride (a ride started), `extended-again` a later one. */
export type RideStep = 'extended' | 'extended-again' | 'blocked' | 'bound' | 'ended';

export type ToLeaseThread = { readonly type: 'stop'; readonly release: boolean };
