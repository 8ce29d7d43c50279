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
      ['ACK', undefined],
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
      { seq: 1, kind: 'ACK', priority: 3, body: 'a', queuedAt: 1_700_000_000_000, attempts: 0 },
      { seq: 2, kind: 'EVENT', priority: 0, body: 'b', queuedAt: 1_700_000_000_000, attempts: 1 },
      { seq: 3, kind: 'CONFLICT', priority: 1, body: 'c', queuedAt: 1_700_000_000_000, attempts: 0 },
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
    expect(second.outbox.peek(10)).toEqual([{ seq: 1, kind: 'ACK', priority: 1, body: 'keep', queuedAt: 1_700_000_000_000, attempts: 1 }]);
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
