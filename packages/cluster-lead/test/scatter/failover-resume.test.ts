// An operation resumed by another lead after a failover (a replicated journal marks its runs
// `resumedBy: 'failover'`): it completes with the ACKs the first lead stored and those agents
// redeliver, or, when it cannot, it ends FAILED_OVER: taken over after its deadline plus the
// resume grace, or no ACK reached either lead. Engine on a ManualClock, journal on real SQLite.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { leadRunJournal } from '../../src/lead-run-journal.js';
import type { RunJournal } from '../../src/scatter/index.js';
import { LeadStore } from '../../src/store/index.js';
import { T0, agent, coordinateFor, makeFixture, signedAck, type Fixture } from './support/engine-fixture.js';
import { captureLog } from './support/capture-log.js';

const T = T0 + 1_000;
const ids = ['agent-0', 'agent-1', 'agent-2'];
const GRACE_MS = 5_000;

let dir: TempDir;
let stores: LeadStore[];
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-failover-');
  stores = [];
});
afterEach(async () => {
  for (const s of stores) s.close();
  await dir.dispose();
});

/** What a follower hands the new lead: the same rows, resumed as a failover. */
function asFailover(journal: RunJournal): RunJournal {
  return { ...journal, load: () => journal.load().map((run) => ({ ...run, resumedBy: 'failover' as const })) };
}

async function leadOn(startAt: number, failover: boolean): Promise<Fixture> {
  const store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
  stores.push(store);
  const journal = leadRunJournal(store.running, captureLog().logger);
  return makeFixture(ids.map((id) => agent(id)), { resumeGraceMs: GRACE_MS }, { journal: failover ? asFailover(journal) : journal, startAt });
}

/** Lead A starts op-f with T in 1 s and takes ACKs from `answered` before it dies. */
async function leadADies(answered: readonly string[]): Promise<{ ackOf: (fx: Fixture, agentId: string) => ReturnType<typeof signedAck> }> {
  const a = await leadOn(T0, false);
  await a.engine.submit({ operationId: 'op-f', verb: 'observe', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 20 });
  await a.scheduler.advanceTo(T);
  const coordinate = coordinateFor(a, 'agent-0');
  const ackOf = (fx: Fixture, agentId: string) => signedAck(fx, { agentId, coordinate, readyAtMesh: T + 1 });
  for (const id of answered) expect(await a.transport.deliver(await ackOf(a, id))).toMatchObject({ ok: true });
  return { ackOf };
}

describe('an operation taken over by another lead', () => {
  it('completes on the new lead with the stored and the redelivered ACKs', async () => {
    const { ackOf } = await leadADies(['agent-0']);
    const b = await leadOn(T + 2_000, true);
    expect(b.engine.stats().inFlight).toBe(1);
    expect(await b.transport.deliver(await ackOf(b, 'agent-0'))).toMatchObject({ ok: true });
    expect(await b.transport.deliver(await ackOf(b, 'agent-1'))).toMatchObject({ ok: true });
    expect(await b.transport.deliver(await ackOf(b, 'agent-2'))).toMatchObject({ ok: true });
    expect(b.engine.stats().inFlight).toBe(0);
    const result = b.store.records.get('op-f')!.result!;
    expect(result.status).toBe('SUCCESS');
    expect(result.interrupted).toEqual({ by: 'failover', resumedAt: T + 2_000, originalDeadline: expect.any(Number) });
    expect(result.responders.map((r) => r.agentId).sort()).toEqual(ids);
  });

  it('ends FAILED_OVER at once when taken over after its deadline plus the grace, keeping the ACKs it had', async () => {
    await leadADies(['agent-0']);
    const b = await leadOn(T + 60_000, true);
    expect(b.engine.stats().inFlight).toBe(0);
    const result = b.store.records.get('op-f')!.result!;
    expect(result.status).toBe('FAILED_OVER');
    expect(result.interrupted).toMatchObject({ by: 'failover', failedOver: 'deadline_passed' });
    expect(result.responders.map((r) => r.agentId)).toEqual(['agent-0']);
    expect(stores[1]!.running.count()).toBe(0);
  });

  it('ends FAILED_OVER, never SUCCESS or PARTIAL, when no ACK reached either lead', async () => {
    await leadADies([]);
    const b = await leadOn(T + 500, true);
    await b.scheduler.advanceTo(T + 500 + GRACE_MS);
    expect(b.engine.stats().inFlight).toBe(0);
    const result = b.store.records.get('op-f')!.result!;
    expect(result).toMatchObject({ status: 'FAILED_OVER', interrupted: { failedOver: 'no_ack' }, counts: { ready: 0 } });
  });

  it('keeps the restart rules on the same lead: late is resumed, not FAILED_OVER', async () => {
    await leadADies(['agent-0']);
    const again = await leadOn(T + 60_000, false);
    expect(again.engine.stats().inFlight).toBe(1);
  });
});
