import { existsSync, openSync, readdirSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/harness/index.js';
import type { TempDir } from '../../../../test/harness/index.js';
import { createLogger } from '../logging/index.js';
import { SqliteOutbox, createDatabase } from './index.js';

const NOW = Date.UTC(2025, 0, 31, 12, 0, 0);
let dir: TempDir;
let path: string;

beforeEach(async () => {
  dir = await makeTempDir('mesh30k-db-');
  path = join(dir.path, 'data', 'agent.db');
});
afterEach(() => dir.dispose());

function fillAndClose(entries: number): void {
  const database = createDatabase(path);
  const outbox = new SqliteOutbox(database, { maxEntries: 10_000 });
  outbox.enqueue(Array.from({ length: entries }, (_, i) => ({ kind: 'ACK' as const, priority: 1 as const, body: `{"n":${i},"pad":"${'x'.repeat(300)}"}` })));
  outbox.close();
}

function overwrite(offset: number, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, offset);
  } finally {
    closeSync(fd);
  }
}

function captureLogger() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line) => void lines.push(line) }, journald: false });
  return { logger, lines };
}

describe('createDatabase: integrity check and recovery', () => {
  it('creates the data directory and a healthy file', () => {
    const database = createDatabase(path);
    expect(existsSync(path)).toBe(true);
    expect(database.recovered).toBeNull();
    database.close();
    database.close();
    expect(database.db.open).toBe(false);
  });

  it('moves a file with damaged pages aside, reports what was lost, and starts empty', () => {
    fillAndClose(40);
    const pageSize = 4096;
    overwrite(pageSize, pageSize * 2); // pages 2 and 3: b-tree pages of the outbox
    const { logger, lines } = captureLogger();
    const database = createDatabase(path, { logger, now: () => NOW });
    const report = database.recovered;
    expect(report).not.toBeNull();
    expect(report!.movedTo).toBe(`${path}.corrupt-2025-01-31T12-00-00-000Z`);
    expect(existsSync(report!.movedTo)).toBe(true);
    expect(report!.problems.length).toBeGreaterThan(0);
    const outbox = new SqliteOutbox(database, { maxEntries: 10 });
    expect(outbox.stats().depth).toBe(0);
    expect(outbox.enqueue([{ kind: 'ACK', priority: 1, body: '{}' }])).toEqual([1]);
    const [event] = lines.map((line) => JSON.parse(line) as { event: string; level: string; moved_to: string });
    expect(event).toMatchObject({ event: 'database.corrupt', level: 'error', moved_to: report!.movedTo });
    outbox.close();
  });

  it('treats a file that is not a database at all the same way', async () => {
    mkdirSync(join(dir.path, 'data'));
    await writeFile(path, 'this is certainly not an SQLite database, just text padding it out. '.repeat(100));
    const database = createDatabase(path, { now: () => NOW });
    expect(database.recovered?.lostRows).toBeNull();
    expect(database.recovered?.problems.join(' ')).toMatch(/not a database/);
    expect(readdirSync(join(dir.path, 'data')).filter((name) => name.includes('.corrupt-'))).toHaveLength(1);
    expect(database.db.pragma('journal_mode', { simple: true })).toBe('wal');
    database.close();
  });

  it('keeps two quarantined files from the same instant apart', async () => {
    mkdirSync(join(dir.path, 'data'));
    for (let i = 0; i < 2; i += 1) {
      await writeFile(path, 'garbage '.repeat(200));
      createDatabase(path, { now: () => NOW }).close();
    }
    expect(readdirSync(join(dir.path, 'data')).filter((name) => name.includes('.corrupt-')).sort()).toEqual([
      'agent.db.corrupt-2025-01-31T12-00-00-000Z',
      'agent.db.corrupt-2025-01-31T12-00-00-000Z.1',
    ]);
  });

  it('throws, without moving anything, when the file cannot be opened for another reason', () => {
    mkdirSync(path, { recursive: true }); // a directory where the file should be
    expect(() => createDatabase(path)).toThrow();
    expect(readdirSync(join(dir.path, 'data'))).toEqual(['agent.db']);
  });

  it('closes the file when its last user releases it', () => {
    const database = createDatabase(path);
    const releaseA = database.acquire();
    const releaseB = database.acquire();
    releaseA();
    releaseA();
    expect(database.db.open).toBe(true);
    releaseB();
    expect(database.db.open).toBe(false);
  });
});
