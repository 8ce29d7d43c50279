// The operations mirror and follower in one process against a real nats-server with JetStream,
// each on its own real SQLite file: what lead A writes (its run journal, history, conflicts,
// dead letters, idempotency answers) appears in standby B's file with the same ids; an entry
// stamped with an epoch below one already applied (a fenced lead's late write) and one that
// does not parse are skipped and counted.
import type { JetStreamManager, NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/harness/index.js';
import { SqliteIdempotencyStore } from '../../src/api/idempotency-store.js';
import { leadRunJournal } from '../../src/lead-run-journal.js';
import type { OpsMirror} from '../../src/replication/operations/index.js';
import { encodeEntry, type OpsFollower } from '../../src/replication/operations/index.js';
import type { AgentArrival, JournaledRun } from '../../src/scatter/index.js';
import type { LeadStore } from '../../src/store/index.js';
import { startOpsRig, type OpsRig } from './support/ops-rig.js';

let rig: OpsRig;
let names: OpsRig['names'];
let nc: NatsConnection;
let jsm: JetStreamManager;
let a: LeadStore;
let b: LeadStore;
let log: OpsRig['log'];
let mirror: OpsMirror;
let follower: OpsFollower;

beforeAll(async () => {
  rig = await startOpsRig('cluster-r', 7, 3);
  ({ names, nc, jsm, a, b, log, mirror, follower } = rig);
  mirror.observe(a);
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

describe('operations mirrored by one lead and followed by another', () => {
  it('brings runs, ACKs, history, conflicts, dead letters and idempotency answers to the standby', async () => {
    const journal = mirror.journal(leadRunJournal(a.running, log.logger));
    const run = { operationId: 'op-r', op: { operationId: 'op-r' }, plan: { planned: [] }, submittedAt: 1, startedAt: 2, deadline: 3, waived: [] } as unknown as JournaledRun;
    a.operations.save({ operationId: 'op-r', createdAt: 1, updatedAt: 2, status: 'running', verb: 'observe', priority: 1, request: { verb: 'observe' }, result: null });
    journal.begun(run);
    await journal.acked('op-r', { agentId: 'pi-1', receivedAt: 5 } as AgentArrival);
    a.conflicts.append({ conflictId: 'c-1', receivedAt: 4, agentId: 'pi-1', operationId: 'op-r', conflictType: 'OTHER', priority: 2, signerId: 'pi-1', signature: 'sig', body: new Uint8Array([1, 2, 3]) });
    const kept = a.deadLetters.add({ createdAt: 5, operationId: 'op-r', agentId: 'pi-2', kind: 'coordinate.agent', reason: 'no route', attempts: 1, payload: { x: 1 } });
    const dropped = a.deadLetters.add({ createdAt: 6, operationId: null, agentId: null, kind: 'coordinate.group', reason: 'gone', attempts: 1, payload: null });
    a.deadLetters.failedAgain(kept, 'still no route');
    a.deadLetters.delete(dropped);
    mirror.idempotency(new SqliteIdempotencyStore(a.db)).put('op-1', 'key-1', { fingerprint: 'f', status: 202, headers: { location: '/v1/operations/op-r' }, body: '{"ok":true}', createdAt: Date.now() });

    await waitFor('the standby to have every entry', 10_000, async () => ((await follower.caughtUp(jsm, 1_000)) && b.deadLetters.get(kept)?.attempts === 2 ? true : undefined));
    const [followed] = b.running.load();
    expect(followed).toMatchObject({ operationId: 'op-r', deadline: 3, acks: [{ agentId: 'pi-1', receivedAt: 5 }] });
    expect(b.operations.get('op-r')).toMatchObject({ status: 'running', verb: 'observe' });
    expect(b.conflicts.list().map((c) => [c.conflictId, [...c.body]])).toEqual([['c-1', [1, 2, 3]]]);
    expect(b.deadLetters.get(kept)).toMatchObject({ id: kept, reason: 'still no route', attempts: 2, payload: { x: 1 } });
    expect(b.deadLetters.get(dropped)).toBeUndefined();
    expect(new SqliteIdempotencyStore(b.db).get('op-1', 'key-1', Date.now())).toMatchObject({ status: 202, body: '{"ok":true}' });
    expect(follower.rejected).toBe(0);

    // Ended on A: gone from B's runs in flight.
    journal.ended('op-r', () => undefined);
    await waitFor('the run to end on the standby', 10_000, () => (b.running.count() === 0 ? true : undefined));
  });

  it('skips what a fenced lead writes late, and what does not parse', async () => {
    rig.epoch = 9;
    a.operations.save({ operationId: 'op-f', createdAt: 1, updatedAt: 2, status: 'completed', verb: 'observe', priority: 1, request: null, result: { from: 'holder' } });
    await waitFor('the holder\'s record', 10_000, () => (b.operations.get('op-f') !== undefined ? true : undefined));
    const rejected = follower.rejected;
    const stale = { type: 'history' as const, epoch: 8, record: { operationId: 'op-f', createdAt: 1, updatedAt: 3, status: 'completed', verb: 'observe', priority: 1, request: null, result: { from: 'fenced' } } };
    const js = nc.jetstream();
    await js.publish(names.history('op-f'), encodeEntry(stale));
    await js.publish(names.history('op-junk'), new TextEncoder().encode('{"type":"history"'));
    await waitFor('both to be skipped', 10_000, () => (follower.rejected === rejected + 2 ? true : undefined));
    expect(b.operations.get('op-f')?.result).toEqual({ from: 'holder' });
    expect(b.operations.get('op-junk')).toBeUndefined();
  });
});
