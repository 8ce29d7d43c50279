import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { LeadError } from '../lib/errors.js';
import { LeadStore, MIGRATIONS, migrate, type ConflictEntry } from './index.js';

let dir: TempDir;
let store: LeadStore;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-store-');
  store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
});
afterEach(async () => {
  store.close();
  await dir.dispose();
});

const conflict = (id: string, agentId = 'pi-1'): ConflictEntry => ({
  conflictId: id,
  receivedAt: 1_800_000_000_000,
  agentId,
  operationId: 'op-1',
  conflictType: 'DATA_CONTRADICTION',
  priority: 2,
  signerId: agentId,
  signature: 'sig',
  body: new TextEncoder().encode('{"kind":"CONFLICT"}'),
});

describe('lead database', () => {
  it('runs in WAL with synchronous=NORMAL and a busy timeout, at the latest schema version', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(1_000);
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(store.writable()).toBe(true);
  });

  it('applies only missing migrations and refuses a schema newer than it knows', () => {
    const db = new Database(':memory:');
    expect(migrate(db, ['CREATE TABLE a (x)'])).toBe(1);
    expect(migrate(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (y)'])).toBe(2);
    let thrown: unknown;
    try {
      migrate(db, ['CREATE TABLE a (x)']);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LeadError);
    expect((thrown as LeadError).code).toBe('STORE_MIGRATION');
    db.close();
  });
});

describe('conflict log', () => {
  it('appends, keeps bytes intact, and treats a repeated conflict id as already logged', () => {
    expect(store.conflicts.append(conflict('c-1'))).toBe(true);
    expect(store.conflicts.append(conflict('c-1'))).toBe(false);
    expect(store.conflicts.append(conflict('c-2', 'pi-2'))).toBe(true);
    expect(store.conflicts.count()).toBe(2);
    const [latest] = store.conflicts.list({ agentId: 'pi-2' });
    expect(latest).toMatchObject({ conflictId: 'c-2', agentId: 'pi-2', priority: 2 });
    expect(new TextDecoder().decode(latest!.body)).toBe('{"kind":"CONFLICT"}');
  });

  it('retention removes the oldest rows beyond the row limit or the age limit, in batches, and nothing else', () => {
    const at = (id: string, receivedAt: number): ConflictEntry => ({ ...conflict(id), receivedAt });
    for (let i = 1; i <= 10; i++) store.conflicts.append(at(`c-${i}`, i * 1_000));
    // Row limit 6: the 4 oldest go, 3 per batch.
    expect(store.conflicts.prune({ maxRows: 6, olderThan: 0, batch: 3 })).toBe(3);
    expect(store.conflicts.prune({ maxRows: 6, olderThan: 0, batch: 3 })).toBe(1);
    expect(store.conflicts.prune({ maxRows: 6, olderThan: 0, batch: 3 })).toBe(0);
    expect(store.conflicts.list().map((c) => c.conflictId).at(-1)).toBe('c-5');
    // Age: everything received before 7 s goes.
    expect(store.conflicts.prune({ maxRows: 100, olderThan: 7_000, batch: 10 })).toBe(2);
    expect(store.conflicts.count()).toBe(4);
    // Below the horizon only: a row in the middle still cannot be deleted.
    expect(() => store.db.prepare("DELETE FROM conflict_log WHERE conflict_id = 'c-9'").run()).toThrow(/append-only/);
    expect(() => store.db.prepare('UPDATE conflict_log_horizon SET through_seq = 0').run()).toThrow(/cannot move back/);
  });

  it('is refused UPDATE and DELETE by the database itself', () => {
    store.conflicts.append(conflict('c-1'));
    expect(() => store.db.prepare("UPDATE conflict_log SET priority = 0 WHERE conflict_id = 'c-1'").run()).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM conflict_log').run()).toThrow(/append-only/);
    // Not even a raw connection that bypasses the lead's code can rewrite it.
    const other = new Database(store.db.name);
    expect(() => other.exec("UPDATE conflict_log SET agent_id = 'someone-else'")).toThrow(/append-only/);
    other.close();
    expect(store.conflicts.list()).toHaveLength(1);
    expect(store.conflicts.list()[0]?.priority).toBe(2);
  });
});

describe('quarantine store, operations history, dead letters, lead state', () => {
  it('holds conflicting data until it is resolved or released', () => {
    expect(store.quarantine.hold({ conflictId: 'c-1', agentId: 'pi-1', messageId: 'm-1', data: { a: 1 }, at: 10 })).toBe(true);
    expect(store.quarantine.hold({ conflictId: 'c-1', agentId: 'pi-1', messageId: 'm-1', data: { a: 2 }, at: 11 })).toBe(false);
    expect(store.quarantine.list('held').map((q) => q.conflictId)).toEqual(['c-1']);
    expect(store.quarantine.close('c-1', 'resolved', 20, 'PROVENANCE_TRACE')).toBe(true);
    expect(store.quarantine.close('c-1', 'released', 21, null)).toBe(false);
    expect(store.quarantine.get('c-1')).toMatchObject({ status: 'resolved', resolvedAt: 20, resolution: 'PROVENANCE_TRACE', data: '{"a":1}' });
  });

  it('keeps operations by id (upsert) and dead letters in order', () => {
    store.operations.save({ operationId: 'op-1', createdAt: 1, updatedAt: 1, status: 'RUNNING', verb: 'act', priority: 2, request: { n: 1 }, result: undefined });
    store.operations.save({ operationId: 'op-1', createdAt: 1, updatedAt: 5, status: 'SUCCESS', verb: 'act', priority: 2, request: { n: 1 }, result: { ok: 3 } });
    expect(store.operations.get('op-1')).toMatchObject({ status: 'SUCCESS', updatedAt: 5, request: { n: 1 }, result: { ok: 3 } });
    const first = store.deadLetters.add({ createdAt: 1, operationId: 'op-1', agentId: 'pi-1', kind: 'COORDINATE', reason: 'timeout after 3 retries', attempts: 3, payload: { x: 1 } });
    const second = store.deadLetters.add({ createdAt: 2, operationId: null, agentId: null, kind: 'DELEGATION', reason: 'no agent left', attempts: 1, payload: null });
    expect(second).toBeGreaterThan(first);
    expect(store.deadLetters.list().map((d) => d.reason)).toEqual(['no agent left', 'timeout after 3 retries']);
  });
});
