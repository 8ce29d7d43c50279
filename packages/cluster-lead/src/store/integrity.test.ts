import { rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { corruptHeader, corruptTablePage, makeTempDir, truncateDatabase, type TempDir } from '../../../../test/harness/index.js';
import { LeadError } from '../lib/errors.js';
import { LeadStore, databasePath, recoverDatabase } from './index.js';

let dir: TempDir;
let path: string;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-integrity-');
  path = databasePath(dir.path);
});
afterEach(async () => {
  await dir.dispose();
});

/** A lead database with enough agent rows to span many pages, closed cleanly (no WAL left). */
function leadDatabaseWithAgents(rows = 300): void {
  const store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
  const insert = store.db.prepare('INSERT INTO agents (agent_id, cluster_id, state, last_seen_at, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
  store.db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`pi-${i}`, 'c1', 'active', 1, 'x'.repeat(400), 1);
  })();
  store.close();
}

function openFailure(): LeadError {
  try {
    LeadStore.open(dir.path, { busyTimeoutMs: 1_000 }).close();
  } catch (error) {
    if (error instanceof LeadError) return error;
    throw error;
  }
  throw new Error('expected the database to be refused');
}

const open = (file: string) => new Database(file, { fileMustExist: true });

describe('the lead database check at start', () => {
  it('creates a database at a brand-new path', () => {
    expect(existsSync(path)).toBe(false);
    LeadStore.open(dir.path, { busyTimeoutMs: 1_000 }).close();
    expect(statSync(path).size).toBeGreaterThan(0);
  });

  it('refuses an empty file where a database was expected, instead of starting empty', () => {
    writeFileSync(path, '');
    const error = openFailure();
    expect(error.code).toBe('STORE_DAMAGED');
    expect(error.message).toContain(`database ${path} is damaged (the file is empty (0 bytes) where a database was expected)`);
    expect(error.message).toContain('mesh-lead recover-db');
    expect(statSync(path).size).toBe(0);
  });

  it('refuses a damaged header, a truncated file and a damaged page, each saying which', () => {
    leadDatabaseWithAgents();
    const whole = statSync(path).size;
    truncateDatabase(path, Math.floor(whole / 2 / 4096) * 4096);
    expect(openFailure().message).toMatch(/is damaged \(truncated: \d+ bytes where its header records \d+ pages/);

    leadDatabaseWithAgentsAgain();
    corruptHeader(path);
    expect(openFailure()).toMatchObject({ code: 'STORE_DAMAGED', message: expect.stringContaining('not a SQLite database') });

    leadDatabaseWithAgentsAgain();
    corruptTablePage(path, 'agents');
    const paged = openFailure();
    expect(paged.code).toBe('STORE_DAMAGED');
    expect(paged.message).toMatch(/is damaged \((quick_check: |database disk image is malformed)/);
    expect(paged.message.split('\n')).toHaveLength(1);
  });
});

/** Starts over from a fresh, healthy database at the same path. */
function leadDatabaseWithAgentsAgain(): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  leadDatabaseWithAgents();
}

describe('recoverDatabase (mesh-lead recover-db)', () => {
  it('leaves a healthy database alone', () => {
    leadDatabaseWithAgents();
    expect(recoverDatabase(path, open, Date.UTC(2026, 11, 7))).toEqual({ movedTo: null, problem: null });
    const store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
    expect(store.agents.count()).toBe(300);
    store.close();
  });

  it('moves a damaged one aside, after which the lead starts empty', async () => {
    leadDatabaseWithAgents();
    corruptTablePage(path, 'agents');
    const outcome = recoverDatabase(path, open, Date.UTC(2026, 11, 7));
    expect(outcome.movedTo).toBe(`${path}.corrupt-2026-12-07T00-00-00-000Z`);
    expect(outcome.problem).toMatch(/quick_check|malformed/);
    expect(await readdir(dir.path)).toEqual(['lead.db.corrupt-2026-12-07T00-00-00-000Z']);
    const store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
    expect(store.agents.count()).toBe(0);
    store.close();
  });

  it('moves an empty file aside too', () => {
    writeFileSync(path, '');
    expect(recoverDatabase(path, open, 0)).toMatchObject({ movedTo: `${path}.corrupt-1970-01-01T00-00-00-000Z`, problem: expect.stringContaining('empty') });
  });
});
