import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { AckWriteBatch, LeadStore, MIGRATIONS, databasePath, migrate, type StoredAck } from './index.js';

let dir: TempDir;
let store: LeadStore;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-running-');
  store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
});
afterEach(async () => {
  store.close();
  await dir.dispose();
});

const ack = (operationId: string, agentId: string, receivedAt: number): StoredAck => ({ operationId, agentId, receivedAt, arrival: { agentId, receivedAt } });

describe('running operations', () => {
  it('survives a reopen of the database with its state and its ACKs, each (operation, agent) once', () => {
    store.running.begin('op-1', 100, 500, { plan: { planned: ['a', 'b'] } });
    expect(store.running.addAcks([ack('op-1', 'a', 110), ack('op-1', 'b', 120)])).toBe(2);
    // Redelivered from an outbox: the first copy stays as it was.
    expect(store.running.addAcks([ack('op-1', 'a', 300)])).toBe(0);
    store.close();
    store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
    expect(store.running.load()).toEqual([
      { operationId: 'op-1', startedAt: 100, deadline: 500, state: { plan: { planned: ['a', 'b'] } }, acks: [ack('op-1', 'a', 110), ack('op-1', 'b', 120)] },
    ]);
  });

  it('keeps the state beside the row every ACK insert checks, not in it, and updates both on a second begin', () => {
    store.running.begin('op-1', 100, 500, { plan: 'x'.repeat(100_000) });
    store.running.begin('op-1', 100, 700, { plan: 'small' });
    const row = store.db.prepare('SELECT deadline, length(state) AS bytes FROM running_operations').get() as { deadline: number; bytes: number };
    expect(row).toEqual({ deadline: 700, bytes: 0 });
    expect(store.running.load()[0]).toMatchObject({ deadline: 700, state: { plan: 'small' } });
    store.running.end('op-1');
    expect(store.db.prepare('SELECT COUNT(*) FROM running_operation_states').pluck().get()).toBe(0);
  });

  it('keeps an operation that was running in a database from before the state table (migration 7), with its ACKs', () => {
    store.close();
    const oldDir = join(dir.path, 'old');
    mkdirSync(oldDir);
    const old = new Database(databasePath(oldDir));
    migrate(old, MIGRATIONS.slice(0, 6));
    old.prepare(`INSERT INTO running_operations (operation_id, started_at, deadline, state) VALUES ('op-1', 100, 500, '{"plan":"kept"}')`).run();
    old.prepare(`INSERT INTO running_operation_acks (operation_id, agent_id, received_at, arrival) VALUES ('op-1', 'a', 110, '{"agentId":"a","receivedAt":110}')`).run();
    old.close();
    store = LeadStore.open(oldDir, { busyTimeoutMs: 1_000 });
    expect(store.running.load()).toEqual([{ operationId: 'op-1', startedAt: 100, deadline: 500, state: { plan: 'kept' }, acks: [ack('op-1', 'a', 110)] }]);
    expect(store.running.addAcks([ack('op-1', 'b', 120)])).toBe(1);
  });

  it('ends an operation in one transaction with the write beside it: both land, or neither', () => {
    const decided = (operationId: string) => ({ operationId, createdAt: 100, updatedAt: 900, status: 'completed', verb: 'record', priority: 5, request: {}, result: {} });
    store.running.begin('op-1', 100, 500, {});
    expect(() =>
      store.running.end('op-1', () => {
        store.operations.save(decided('op-1'));
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(store.operations.has('op-1')).toBe(false);
    expect(store.running.count()).toBe(1);

    store.running.end('op-1', () => store.operations.save(decided('op-1')));
    expect(store.operations.has('op-1')).toBe(true);
    expect(store.running.count()).toBe(0);
  });

  it('drops an operation and its ACKs when it ends, and stores no ACK for an operation already ended', () => {
    store.running.begin('op-1', 100, 500, {});
    store.running.begin('op-2', 200, 600, {});
    store.running.addAcks([ack('op-1', 'a', 110), ack('op-2', 'a', 210)]);
    store.running.end('op-1');
    expect(store.running.addAcks([ack('op-1', 'b', 130)])).toBe(0);
    expect(store.running.load().map((r) => [r.operationId, r.acks.length])).toEqual([['op-2', 1]]);
    expect(store.db.prepare('SELECT COUNT(*) FROM running_operation_acks').pluck().get()).toBe(1);
    expect(store.running.count()).toBe(1);
  });

  it('writes the ACKs of one turn of the event loop in one transaction, and answers each once it is stored', async () => {
    store.running.begin('op-1', 100, 500, {});
    const writes: number[] = [];
    const batch = new AckWriteBatch({ addAcks: (acks) => (writes.push(acks.length), store.running.addAcks(acks)) }, { windowMs: 0 });
    await Promise.all(['a', 'b', 'c'].map((id, i) => batch.add(ack('op-1', id, 110 + i))));
    expect(writes).toEqual([3]);
    expect(store.running.load()[0]?.acks.map((a) => a.agentId)).toEqual(['a', 'b', 'c']);
  });

  it('writes the ACKs that came within the commit window of the first in one transaction, and a full group at once', async () => {
    vi.useFakeTimers();
    try {
      store.running.begin('op-1', 100, 500, {});
      const writes: number[] = [];
      const batch = new AckWriteBatch({ addAcks: (acks) => (writes.push(acks.length), store.running.addAcks(acks)) }, { windowMs: 10, maxBatch: 4 });
      const first = batch.add(ack('op-1', 'a', 110));
      await vi.advanceTimersByTimeAsync(9);
      const second = batch.add(ack('op-1', 'b', 119));
      expect(writes).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      await Promise.all([first, second]);
      expect(writes).toEqual([2]);
      // Four in one go fill a group: written without waiting for the window.
      await Promise.all(['c', 'd', 'e', 'f'].map((id, i) => batch.add(ack('op-1', id, 130 + i))));
      expect(writes).toEqual([2, 4]);
      expect(store.running.load()[0]?.acks.map((a) => a.agentId)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects every ACK of a batch whose write failed, so none is answered as stored', async () => {
    const batch = new AckWriteBatch({
      addAcks: () => {
        throw new Error('disk full');
      },
    });
    const results = await Promise.allSettled([batch.add(ack('op-1', 'a', 1)), batch.add(ack('op-1', 'b', 2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
