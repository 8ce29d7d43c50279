/**
 * The narrow interfaces the agent core depends on. The composition root (`main.ts`) builds
 * the real ones (SQLite, a worker thread, pino, systemd); simulation mode swaps the clock,
 * health and handlers. Nothing here opens a socket or a file.
 */
import type { Priority, SystemHealth } from '@mesh30k/shared';

/** What the outbox holds: messages that must reach the lead even across outages and restarts. */
export type OutboxKind = 'ACK' | 'CONFLICT' | 'EVENT';

export interface OutboxItem {
  kind: OutboxKind;
  priority: Priority;
  /** The unsigned message as JSON; it is re-stamped and signed when delivered. */
  body: string;
}

export interface OutboxEntry extends OutboxItem {
  /** Monotonic per agent, never reused, survives restarts. */
  seq: number;
  /** Wall-clock ms when it was queued. */
  queuedAt: number;
  attempts: number;
}

export interface OutboxStats {
  depth: number;
  /** Entries dropped because the outbox was full (oldest low-priority first). */
  dropped: number;
  oldestQueuedAt: number | null;
}

export interface Outbox {
  /** Queues items; writes are batched into one transaction. Returns their sequence numbers. */
  enqueue(items: readonly OutboxItem[]): number[];
  /** Oldest first, by sequence number. */
  peek(limit: number): OutboxEntry[];
  /** Removes delivered entries. */
  remove(seqs: readonly number[]): void;
  recordAttempt(seq: number): void;
  stats(): OutboxStats;
  close(): void;
}

/** Small durable key-value state of the daemon (frozen flag, context hash, clock estimate). */
export interface StateStore {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/** System health, sampled off the main event loop; `latest()` never blocks and never throws. */
export interface HealthSampler {
  latest(): SystemHealth;
  start(): void;
  stop(): Promise<void>;
}

/** systemd notifications (READY, WATCHDOG, STOPPING, STATUS): @mesh30k/shared/node. */
export type { ServiceNotifier } from '@mesh30k/shared/node';
