import type { Outbox, OutboxEntry, OutboxItem, OutboxStats, StateStore } from '../ports.js';

/**
 * In-memory Outbox and StateStore, used ONLY by simulation mode: thousands of virtual agents
 * in one process should not each open a SQLite file (file handles, WAL files, page caches),
 * and what a simulated agent "persists" need not outlive the process. The semantics match the
 * SQLite ones the daemon uses: increasing sequence numbers, oldest first, bounded with the
 * lowest-priority oldest entries dropped first.
 */
export class MemoryOutbox implements Outbox {
  private entries: OutboxEntry[] = [];
  private nextSeq = 1;
  private droppedCount = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  enqueue(items: readonly OutboxItem[]): number[] {
    const seqs: number[] = [];
    for (const item of items) {
      const seq = this.nextSeq++;
      this.entries.push({ ...item, seq, queuedAt: this.now(), attempts: 0 });
      seqs.push(seq);
    }
    while (this.entries.length > this.maxEntries) this.dropOne();
    return seqs;
  }

  peek(limit: number): OutboxEntry[] {
    return this.entries.slice(0, limit).map((entry) => ({ ...entry }));
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
