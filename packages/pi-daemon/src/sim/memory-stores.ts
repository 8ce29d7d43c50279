import type { DeadLetter, DeadLetterStats, Outbox, OutboxEntry, OutboxItem, OutboxStats, StateStore } from '../ports.js';

/** A simulated agent keeps this many dead letters, newest. */
const MAX_DEAD_LETTERS = 100;

/**
 * In-memory Outbox and StateStore, used ONLY by simulation mode: thousands of virtual agents
 * in one process should not each open a SQLite file (file handles, WAL files, page caches),
 * and what a simulated agent "persists" need not outlive the process. The semantics match the
 * SQLite ones the daemon uses: increasing sequence numbers, oldest first, bounded with the
 * lowest-priority oldest entries dropped first, per-entry backoff, streams delivered in order,
 * and bounded dead letters.
 */
export class MemoryOutbox implements Outbox {
  private entries: OutboxEntry[] = [];
  private nextSeq = 1;
  private droppedCount = 0;
  private dead: DeadLetter[] = [];
  private deadTotal = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  enqueue(items: readonly OutboxItem[]): number[] {
    const seqs: number[] = [];
    for (const item of items) {
      const seq = this.nextSeq++;
      this.entries.push({ ...item, stream: item.stream ?? null, seq, queuedAt: this.now(), attempts: 0, nextAttemptAt: 0 });
      seqs.push(seq);
    }
    while (this.entries.length > this.maxEntries) this.dropOne();
    return seqs;
  }

  peek(limit: number): OutboxEntry[] {
    return this.entries.slice(0, limit).map((entry) => ({ ...entry }));
  }

  due(now: number, limit: number): OutboxEntry[] {
    const waiting = new Set<string>();
    const out: OutboxEntry[] = [];
    for (const entry of this.entries) {
      if (out.length >= limit) break;
      const heads = entry.stream === null || !waiting.has(entry.stream);
      if (entry.stream !== null) waiting.add(entry.stream);
      if (heads && entry.nextAttemptAt <= now) out.push({ ...entry });
    }
    return out;
  }

  nextAttemptAt(): number | null {
    const heads = this.due(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    return heads.length === 0 ? null : Math.min(...heads.map((entry) => entry.nextAttemptAt));
  }

  deferUntil(seq: number, at: number): void {
    const entry = this.entries.find((e) => e.seq === seq);
    if (entry === undefined) return;
    entry.attempts++;
    entry.nextAttemptAt = at;
  }

  deadLetter(seq: number, refusal: { code: string; reason: string }): void {
    const entry = this.entries.find((e) => e.seq === seq);
    if (entry === undefined) return;
    this.remove([seq]);
    this.dead.push({ seq, kind: entry.kind, stream: entry.stream, body: entry.body, queuedAt: entry.queuedAt, attempts: entry.attempts, ...refusal, deadAt: this.now() });
    this.deadTotal++;
    if (this.dead.length > MAX_DEAD_LETTERS) this.dead.shift();
  }

  listDeadLetters(limit: number): DeadLetter[] {
    return this.dead.slice(-limit).reverse().map((letter) => ({ ...letter }));
  }

  deadLetterStats(): DeadLetterStats {
    return { count: this.dead.length, total: this.deadTotal, oldestDeadAt: this.dead[0]?.deadAt ?? null };
  }

  remove(seqs: readonly number[]): void {
    const gone = new Set(seqs);
    this.entries = this.entries.filter((entry) => !gone.has(entry.seq));
  }

  recordAttempt(seq: number): void {
    const entry = this.entries.find((e) => e.seq === seq);
    if (entry !== undefined) entry.attempts++;
  }

  stats(): OutboxStats {
    return { depth: this.entries.length, dropped: this.droppedCount, oldestQueuedAt: this.entries[0]?.queuedAt ?? null };
  }

  close(): void {
    this.entries = [];
  }

  private dropOne(): void {
    let victim = 0;
    for (let i = 1; i < this.entries.length; i++) {
      if (this.entries[i]!.priority < this.entries[victim]!.priority) victim = i;
    }
    this.entries.splice(victim, 1);
    this.droppedCount++;
  }
}

export class MemoryStateStore implements StateStore {
  private readonly values = new Map<string, unknown>();

  get<T>(key: string): T | undefined {
    return structuredClone(this.values.get(key)) as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.values.set(key, structuredClone(value));
  }

  delete(key: string): void {
    this.values.delete(key);
  }
}
