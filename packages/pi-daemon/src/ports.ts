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
  /**
   * Ordered stream: entries sharing a key are delivered in sequence order, one after the other
   * (the ACKs of one operation; later, the events of one sensor). Entries of other streams, and
   * entries without a key, pass an entry that waits. Absent: no order with anything.
   */
  stream?: string | null;
}

export interface OutboxEntry extends OutboxItem {
  /** Monotonic per agent, never reused, survives restarts. */
  seq: number;
  /** Wall-clock ms when it was queued. */
  queuedAt: number;
  attempts: number;
  /** Wall-clock ms before which it is not tried again (its own backoff); 0 when due at once. */
  nextAttemptAt: number;
  stream: string | null;
}

/** An entry the lead refused for good: kept for the operator, never retried. */
export interface DeadLetter {
  seq: number;
  kind: OutboxKind;
  stream: string | null;
  body: string;
  queuedAt: number;
  attempts: number;
  /** The refusal code and message from the lead (or the agent's own reason). */
  code: string;
  reason: string;
  /** Wall-clock ms when it left the outbox. */
  deadAt: number;
}

export interface DeadLetterStats {
  /** Dead letters kept now (bounded by count and age). */
  count: number;
  /** Dead letters ever made, including those retention removed since. */
  total: number;
  oldestDeadAt: number | null;
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
  /**
   * What may be tried now, by sequence number: entries whose next attempt is due and that head
   * their stream (no earlier entry of the same stream is still waiting).
   */
  due(now: number, limit: number): OutboxEntry[];
  /** Earliest next attempt of an entry that heads its stream, or null when the outbox is empty. */
  nextAttemptAt(): number | null;
  /** Removes delivered entries. */
  remove(seqs: readonly number[]): void;
  recordAttempt(seq: number): void;
  /** Counts a failed attempt and sets when the entry may be tried again. */
  deferUntil(seq: number, at: number): void;
  /** Moves an entry to the dead letters in one transaction (retention applied). */
  deadLetter(seq: number, refusal: { code: string; reason: string }): void;
  /** Newest first. */
  listDeadLetters(limit: number): DeadLetter[];
  deadLetterStats(): DeadLetterStats;
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
