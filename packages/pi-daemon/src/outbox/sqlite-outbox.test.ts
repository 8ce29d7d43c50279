import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/harness/index.js';
import type { TempDir } from '../../../../test/harness/index.js';
import { createLogger } from '../logging/index.js';
import type { OutboxItem, OutboxKind } from '../ports.js';
import { SqliteOutbox, createDatabase } from './index.js';
import type { AgentDatabase, DatabaseOptions } from './index.js';

let dir: TempDir;
let path: string;
const open: AgentDatabase[] = [];

beforeEach(async () => {
  dir = await makeTempDir('mesh30k-outbox-');
  path = join(dir.path, 'agent.db');
});
afterEach(async () => {
  for (const database of open.splice(0)) database.close();
  await dir.dispose();
});

function openOutbox(maxEntries = 1000, options: DatabaseOptions = {}): { outbox: SqliteOutbox; database: AgentDatabase } {
  const database = createDatabase(path, options);
  open.push(database);
  return { outbox: new SqliteOutbox(database, { maxEntries, logger: options.logger, now: () => 1_700_000_000_000 }), database };
}

const item = (priority: 0 | 1 | 2 | 3, body = `{"p":${priority}}`, kind: OutboxKind = 'ACK'): OutboxItem => ({ kind, priority, body });

describe('SqliteOutbox', () => {
  it('keeps an entry\'s ordering key (stream) across a reopen, and adds the column to an older file', () => {
    const first = createDatabase(path);
    first.db.exec('CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, priority INTEGER NOT NULL, body TEXT NOT NULL, queued_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)');
    first.db.prepare("INSERT INTO outbox (kind, priority, body, queued_at) VALUES ('ACK', 1, '{}', 1)").run();
    first.close();
    const { outbox, database } = openOutbox();
    outbox.enqueue([{ kind: 'EVENT', priority: 1, body: '{"s":1}', stream: 'door' }]);
    database.close();
    open.pop();
    const reopened = openOutbox().outbox;
    expect(reopened.peek(10).map((e) => [e.kind, e.stream])).toEqual([
      ['ACK', null],
      ['EVENT', 'door'],
    ]);
  });

  it('runs in WAL mode with the durability settings', () => {
    const { database } = openOutbox();
    expect(database.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(database.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(database.db.pragma('journal_size_limit', { simple: true })).toBe(4 * 1024 * 1024);
    expect(database.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(database.recovered).toBeNull();
  });

  it('hands entries back oldest first, with their fields', () => {
    const { outbox } = openOutbox();
    const first = outbox.enqueue([item(3, 'a'), item(0, 'b', 'EVENT')]);
    const second = outbox.enqueue([item(1, 'c', 'CONFLICT')]);
    expect(first).toEqual([1, 2]);
    expect(second).toEqual([3]);
    outbox.recordAttempt(2);
    expect(outbox.peek(10)).toEqual([
      { seq: 1, kind: 'ACK', priority: 3, body: 'a', queuedAt: 1_700_000_000_000, attempts: 0, nextAttemptAt: 0, stream: null },
      { seq: 2, kind: 'EVENT', priority: 0, body: 'b', queuedAt: 1_700_000_000_000, attempts: 1, nextAttemptAt: 0, stream: null },
      { seq: 3, kind: 'CONFLICT', priority: 1, body: 'c', queuedAt: 1_700_000_000_000, attempts: 0, nextAttemptAt: 0, stream: null },
    ]);
    expect(outbox.peek(2).map((entry) => entry.seq)).toEqual([1, 2]);
    outbox.remove([1, 3]);
    expect(outbox.peek(10).map((entry) => entry.seq)).toEqual([2]);
    expect(outbox.stats()).toEqual({ depth: 1, dropped: 0, oldestQueuedAt: 1_700_000_000_000 });
  });

  it('writes a batch in one transaction: one commit in the WAL, and all or nothing', () => {
    const { outbox, database } = openOutbox(10_000, { walAutocheckpointPages: 0 });
    const batch = Array.from({ length: 200 }, (_, i) => item(1, `{"n":${i}}`));
    database.checkpoint('TRUNCATE');
    outbox.enqueue(batch);
    const batchedFrames = database.checkpoint('PASSIVE').walFrames;
    database.checkpoint('TRUNCATE');
    for (const one of batch) outbox.enqueue([one]);
    const oneByOneFrames = database.checkpoint('PASSIVE').walFrames;
    expect(batchedFrames).toBeLessThan(10);
    expect(oneByOneFrames).toBeGreaterThanOrEqual(200);

    const bad = { kind: 'BOGUS', priority: 1, body: 'x' } as unknown as OutboxItem;
    expect(() => outbox.enqueue([item(2), item(2), bad])).toThrow(/CHECK constraint/);
    expect(outbox.stats().depth).toBe(400);
    expect(outbox.peek(1000)).toHaveLength(400);
  });

  it('keeps entries across close and reopen, and never reuses a sequence number', () => {
    const first = openOutbox();
    first.outbox.enqueue([item(1, 'keep'), item(2, 'gone'), item(3, 'gone too')]);
    first.outbox.recordAttempt(1);
    first.outbox.remove([2, 3]);
    first.outbox.close();
    expect(first.database.db.open).toBe(false);

    const second = openOutbox();
    expect(second.outbox.peek(10)).toEqual([{ seq: 1, kind: 'ACK', priority: 1, body: 'keep', queuedAt: 1_700_000_000_000, attempts: 1, nextAttemptAt: 0, stream: null }]);
    expect(second.outbox.enqueue([item(0)])).toEqual([4]);
    second.outbox.remove([1, 4]);
    second.outbox.close();

    const third = openOutbox();
    expect(third.outbox.stats()).toEqual({ depth: 0, dropped: 0, oldestQueuedAt: null });
    expect(third.outbox.enqueue([item(0)])).toEqual([5]);
  });

  it('when full, drops the oldest entries of the lowest priority, counts and logs the loss', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line) => void lines.push(line) }, journald: false });
    const { outbox } = openOutbox(5, { logger });
    outbox.enqueue([item(2), item(0), item(1), item(0), item(3)]); // seqs 1..5
    outbox.enqueue([item(1), item(2)]); // seqs 6, 7: the two priority-0 entries (2, 4) go
    expect(outbox.peek(10).map((entry) => entry.seq)).toEqual([1, 3, 5, 6, 7]);
    outbox.enqueue([item(0)]); // seq 8 is itself the lowest priority
    expect(outbox.peek(10).map((entry) => entry.seq)).toEqual([1, 3, 5, 6, 7]);
    outbox.enqueue([item(3)]); // seq 9: the oldest priority-1 entry (3) goes
    expect(outbox.peek(10).map((entry) => entry.seq)).toEqual([1, 5, 6, 7, 9]);
    expect(outbox.stats()).toMatchObject({ depth: 5, dropped: 4 });

    const events = lines.map((line) => JSON.parse(line) as { event: string; count: number; dropped_total: number; groups: unknown[] });
    expect(events.map((event) => [event.event, event.count, event.dropped_total])).toEqual([
      ['outbox.dropped', 2, 2],
      ['outbox.dropped', 1, 3],
      ['outbox.dropped', 1, 4],
    ]);
    expect(events[0]!.groups).toEqual([{ priority: 0, kind: 'ACK', count: 2, first_seq: 2, last_seq: 4 }]);

    outbox.close();
    expect(openOutbox(5).outbox.stats()).toMatchObject({ depth: 5, dropped: 4 });
  });

  it('refuses a nonsensical bound', () => {
    const database = createDatabase(path);
    open.push(database);
    expect(() => new SqliteOutbox(database, { maxEntries: 0 })).toThrow(RangeError);
  });
});

describe('SqliteOutbox: per-entry backoff, ordered streams, dead letters', () => {
  it('hands out what is due, heads of their streams only, so a waiting entry blocks only its own stream', () => {
    const { outbox } = openOutbox();
    outbox.enqueue([
      { kind: 'ACK', priority: 1, body: 'op1-a', stream: 'ack:op1' }, // 1
      { kind: 'ACK', priority: 1, body: 'op1-b', stream: 'ack:op1' }, // 2
      { kind: 'ACK', priority: 1, body: 'op2', stream: 'ack:op2' }, // 3
      { kind: 'CONFLICT', priority: 1, body: 'free' }, // 4
    ]);
    const NOW = 1_000;
    expect(outbox.due(NOW, 10).map((e) => e.seq)).toEqual([1, 3, 4]);
    outbox.deferUntil(1, NOW + 500);
    outbox.deferUntil(4, NOW + 200);
    expect(outbox.due(NOW, 10).map((e) => e.seq)).toEqual([3]);
    expect(outbox.nextAttemptAt()).toBe(0); // entry 3 is due now
    outbox.remove([3]);
    expect(outbox.nextAttemptAt()).toBe(NOW + 200); // entry 2 waits behind 1, so it does not count
    expect(outbox.due(NOW + 500, 10).map((e) => [e.seq, e.attempts, e.nextAttemptAt])).toEqual([
      [1, 1, NOW + 500],
      [4, 1, NOW + 200],
    ]);
    outbox.deadLetter(1, { code: 'UNKNOWN_OPERATION', reason: 'no operation op1' });
    expect(outbox.due(NOW + 500, 10).map((e) => e.seq)).toEqual([2, 4]);
  });

  it('moves a refused entry to the dead letters in one step and keeps them across a restart', () => {
    const first = openOutbox();
    first.outbox.enqueue([item(1, 'late ack'), item(2, 'next')]);
    first.outbox.deferUntil(1, 5);
    first.outbox.deadLetter(1, { code: 'LATE', reason: 'operation finished' });
    first.outbox.deadLetter(99, { code: 'LATE', reason: 'not there: nothing happens' });
    expect(first.outbox.stats().depth).toBe(1);
    first.outbox.close();
    const second = openOutbox();
    expect(second.outbox.listDeadLetters(10)).toEqual([
      { seq: 1, kind: 'ACK', stream: null, body: 'late ack', queuedAt: 1_700_000_000_000, attempts: 1, code: 'LATE', reason: 'operation finished', deadAt: 1_700_000_000_000 },
    ]);
    expect(second.outbox.deadLetterStats()).toEqual({ count: 1, total: 1, oldestDeadAt: 1_700_000_000_000 });
    expect(second.outbox.peek(10).map((e) => e.body)).toEqual(['next']);
  });

  it('keeps dead letters within the retention: at most maxEntries, none older than maxAgeMs', () => {
    const database = createDatabase(path);
    open.push(database);
    let now = 0;
    const outbox = new SqliteOutbox(database, { maxEntries: 100, now: () => now, deadLetters: { maxEntries: 3, maxAgeMs: 1_000 } });
    const seqs = outbox.enqueue(Array.from({ length: 5 }, (_, i) => item(1, `m${i}`)));
    for (const seq of seqs.slice(0, 4)) {
      now += 10;
      outbox.deadLetter(seq, { code: 'LATE', reason: 'x' });
    }
    expect(outbox.listDeadLetters(10).map((d) => d.seq)).toEqual([4, 3, 2]);
    now += 2_000;
    outbox.deadLetter(seqs[4]!, { code: 'LATE', reason: 'x' });
    expect(outbox.listDeadLetters(10).map((d) => d.seq)).toEqual([5]);
    expect(outbox.deadLetterStats()).toMatchObject({ count: 1, total: 5 });
  });

  it('adds the new columns to an outbox file written by an older agent, keeping its entries', () => {
    const database = createDatabase(path);
    database.db.exec(`CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, priority INTEGER NOT NULL, body TEXT NOT NULL, queued_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
      INSERT INTO outbox (kind, priority, body, queued_at) VALUES ('ACK', 1, 'old', 7);`);
    database.close();
    const { outbox } = openOutbox();
    expect(outbox.due(0, 10)).toEqual([{ seq: 1, kind: 'ACK', priority: 1, body: 'old', queuedAt: 7, attempts: 0, nextAttemptAt: 0, stream: null }]);
  });
});
