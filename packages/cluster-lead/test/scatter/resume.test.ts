// A lead killed mid-operation and started again on its database: the operation goes on from
// what was stored (the ACKs it had, each counted once), takes the ACKs agents redeliver, and
// is decided with a result that says it was interrupted. The engine runs on a ManualClock, the
// journal on a real SQLite file.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { leadRunJournal } from '../../src/lead-run-journal.js';
import type { RunJournal } from '../../src/scatter/index.js';
import type { AgentArrival } from '../../src/scatter/record.js';
import { LeadStore } from '../../src/store/index.js';
import { T0, agent, coordinateFor, makeFixture, signedAck, type Fixture } from './support/engine-fixture.js';
import { captureLog } from './support/capture-log.js';

const T = T0 + 1_000;
const ids = ['agent-0', 'agent-1', 'agent-2', 'agent-3'];
const GRACE_MS = 5_000;

let dir: TempDir;
let stores: LeadStore[];
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-resume-');
  stores = [];
});
afterEach(async () => {
  for (const s of stores) s.close();
  await dir.dispose();
});

/** A lead's scatter engine on the database in `dir` (opened afresh, as after a restart). */
async function leadOn(startAt: number): Promise<Fixture> {
  const store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
  stores.push(store);
  return makeFixture(ids.map((id) => agent(id)), { resumeGraceMs: GRACE_MS }, { journal: leadRunJournal(store.running, captureLog().logger), startAt });
}

describe('an ACK the journal could not store', () => {
  it('is refused STORE_FAILED, and stored (then answered ok) when the agent sends it again', async () => {
    const store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
    stores.push(store);
    const durable = leadRunJournal(store.running, captureLog().logger);
    // As the JetStream mirror does: a failed ACK is remembered, and stored again on its redelivery.
    const unstored = new Map<string, AgentArrival>();
    let failing = true;
    let writes = 0;
    const journal: RunJournal = {
      ...durable,
      acked: async (operationId, arrival) => {
        writes += 1;
        if (failing) {
          unstored.set(arrival.agentId, arrival);
          throw new Error('stream unavailable');
        }
        await durable.acked(operationId, arrival);
        unstored.delete(arrival.agentId);
      },
      redelivered: (operationId, agentId) => {
        const arrival = unstored.get(agentId);
        return arrival === undefined ? undefined : journal.acked(operationId, arrival);
      },
    };
    const fx = await makeFixture(ids.map((id) => agent(id)), {}, { journal, startAt: T0 });
    await fx.engine.submit({ operationId: 'op-s', verb: 'observe', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 20 });
    await fx.scheduler.advanceTo(T);
    const coordinate = coordinateFor(fx, 'agent-0');
    const ack = () => signedAck(fx, { agentId: 'agent-0', coordinate, readyAtMesh: T + 1 });
    expect(await fx.transport.deliver(await ack())).toMatchObject({ ok: false, code: 'STORE_FAILED' });
    expect(store.running.load()[0]?.acks).toEqual([]);
    // Still failing: refused again, and still kept for the next try.
    expect(await fx.transport.deliver(await ack())).toMatchObject({ ok: false, code: 'STORE_FAILED' });
    failing = false;
    expect(await fx.transport.deliver(await ack())).toMatchObject({ ok: true });
    expect(store.running.load()[0]?.acks.map((a) => a.agentId)).toEqual(['agent-0']);
    // Stored now: another copy is answered ok without a write.
    const before = writes;
    expect(await fx.transport.deliver(await ack())).toMatchObject({ ok: true });
    expect(writes).toBe(before);
    expect(fx.engine.stats().inFlight).toBe(1);
  });
});

describe('resuming an operation after the lead was killed', () => {
  it('counts the ACKs stored before the kill and those redelivered after it, each once, and says the result was interrupted', async () => {
    const before = await leadOn(T0);
    const handle = await before.engine.submit({ operationId: 'op-k', verb: 'observe', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 20 });
    await before.scheduler.advanceTo(T);
    const coordinate = coordinateFor(before, 'agent-0');
    // An outbox signs each try afresh (the same ACK, a new message id and created_at).
    const ackOf = (fx: Fixture, agentId: string) => signedAck(fx, { agentId, coordinate, readyAtMesh: T + 1 });
    // Two ACKs answered (so stored) before the kill; the engine is then dropped, never stopped.
    expect(await before.transport.deliver(await ackOf(before, 'agent-0'))).toMatchObject({ ok: true });
    expect(await before.transport.deliver(await ackOf(before, 'agent-1'))).toMatchObject({ ok: true });
    expect(stores[0]!.running.load()[0]?.acks.map((a) => a.agentId)).toEqual(['agent-0', 'agent-1']);
    expect(await Promise.race([handle.outcome, Promise.resolve('pending')])).toBe('pending');

    // Back 60 s later, long after the deadline the operation had.
    const restartAt = T + 60_000;
    const after = await leadOn(restartAt);
    expect(after.engine.stats().inFlight).toBe(1);
    expect(after.events()).toContain('operation.resumed');
    // Outboxes redeliver: agent-1 again (answered before the kill) and agent-2 for the first time; agent-3 stays silent.
    expect(await after.transport.deliver(await ackOf(after, 'agent-1'))).toMatchObject({ ok: true });
    expect(await after.transport.deliver(await ackOf(after, 'agent-2'))).toMatchObject({ ok: true });
    expect(after.engine.stats().inFlight).toBe(1);
    await after.scheduler.advanceTo(restartAt + GRACE_MS);
    expect(after.engine.stats().inFlight).toBe(0);

    const record = after.store.records.get('op-k');
    expect(record?.state).toBe('completed');
    const result = record!.result!;
    expect(result.interrupted).toEqual({ by: 'lead_restart', resumedAt: restartAt, originalDeadline: expect.any(Number) });
    expect(result.interrupted!.originalDeadline).toBeLessThan(restartAt);
    expect(result.responders.map((r) => r.agentId).sort()).toEqual(['agent-0', 'agent-1', 'agent-2']);
    // The silent agent counts against the quorum: an interrupted operation is not a SUCCESS for it.
    expect(result).toMatchObject({ status: 'PARTIAL', counts: { sent: 4, ready: 3, stragglers: 1 }, stragglers: ['agent-3'] });
    // Nobody is marked as having missed it: after a restart the lead cannot know who was sent it.
    expect(after.outcomes.recorded.map((o) => [o.agentId, o.outcome])).toEqual([['agent-2', 'ready']]);
    expect(stores[1]!.running.count()).toBe(0);

    // Later still: agent-3's ACK is taken as a late one (answered, recorded), agent-0's again is a duplicate.
    const lateReply = after.transport.deliver(await ackOf(after, 'agent-3'));
    await vi.waitFor(() => expect(after.events()).toContain('ack.late'));
    expect(await after.transport.deliver(await ackOf(after, 'agent-0'))).toMatchObject({ ok: true });
    await after.scheduler.advanceTo(after.clock.now() + 2_000);
    expect(await lateReply).toMatchObject({ ok: true });
    expect(after.store.records.get('op-k')?.lateAcks.map((l) => l.agentId)).toEqual(['agent-3']);
  });

  it('decides at once, interrupted, when every agent had answered before the kill, and refuses an ACK for an operation never run', async () => {
    const before = await leadOn(T0);
    await before.engine.submit({ operationId: 'op-all', verb: 'observe', payload: null, targets: { agent_ids: ['agent-0'] }, releaseMode: 'hold', targetTime: T });
    await before.scheduler.advanceTo(T);
    const coordinate = coordinateFor(before, 'agent-0');
    // Kill "between" the ACK being stored and the decision: stored, the history still says running.
    const journal = leadRunJournal(stores[0]!.running, captureLog().logger);
    const [run] = journal.load();
    await journal.acked('op-all', acceptedArrival(before, coordinate));
    expect(run?.operationId).toBe('op-all');

    const after = await leadOn(T + 1_000);
    await after.scheduler.advanceTo(T + 1_000);
    expect(after.engine.stats().inFlight).toBe(0);
    const result = after.store.records.get('op-all')!.result!;
    expect(result).toMatchObject({ status: 'SUCCESS', counts: { sent: 1, ready: 1 }, interrupted: { by: 'lead_restart' } });

    const stranger = await signedAck(after, { agentId: 'agent-1', coordinate: { ...coordinate, operation_id: 'op-never' }, readyAtMesh: T });
    expect(await after.transport.deliver(stranger)).toMatchObject({ ok: false, code: 'UNKNOWN_OPERATION' });
  });
});

/** An arrival as the engine stores it, for an ACK the first lead took just before it was killed. */
function acceptedArrival(fx: Fixture, coordinate: Parameters<typeof signedAck>[1]['coordinate']): AgentArrival {
  return {
    agentId: 'agent-0', mode: 'hold' as const, trinaryState: 1 as const, outcome: 'ready' as const, sentAt: fx.clock.now(), receivedAt: fx.clock.now(),
    readyAtMesh: coordinate.target_time, basis: 'agent' as const, readyAtMeshAgent: coordinate.target_time, readyAtMeshLead: coordinate.target_time,
    arrivalErrorMs: 0, inWindow: true, processingMs: 50, late: false, refusal: null,
  };
}
