import { describe, expect, it, vi } from 'vitest';
import type { OperationOutcome } from '../../src/scatter/engine.js';
import type { ScatterResult } from '../../src/scatter/record.js';
import { LATE_ACK_SAVE_DELAY_MS } from '../../src/scatter/operation-run.js';
import { T0, agent, answer, coordinateFor, makeFixture, signedAck } from './support/engine-fixture.js';

const T = T0 + 1_000;
const ids = (n: number) => Array.from({ length: n }, (_, i) => `agent-${i}`);

function completed(outcome: OperationOutcome): ScatterResult {
  if (outcome.status !== 'completed') throw new Error(`refused: ${outcome.refusal.code}`);
  return outcome.result;
}

describe('gathering ACKs', () => {
  it('decides SUCCESS as soon as everyone answered, with the arrival error of each agent and its distribution', async () => {
    const fx = await makeFixture(ids(4).map((id) => agent(id)));
    const handle = await fx.engine.submit({ verb: 'observe', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 2.5 });
    await fx.scheduler.advanceTo(T + 5);
    const errors = [1, -2, 3, 0.5];
    await answer(fx, ids(4).map((agentId, i) => ({ agentId, readyAtMesh: T + errors[i]!, processingMs: 40 + i })));
    const result = completed(await handle.outcome);
    expect(result).toMatchObject({ status: 'SUCCESS', decision: 'PROCEED', counts: { sent: 4, ready: 4, stragglers: 0 } });
    expect(result.responders.map((r) => r.arrivalErrorMs)).toEqual(errors);
    expect(result.arrival.abs).toEqual({ p50: 1.5, p90: expect.closeTo(2.7, 9), p99: expect.closeTo(2.97, 9), max: 3 });
    expect(result.arrival.signed).toMatchObject({ min: -2, max: 3, mean: 0.625 });
    expect(result.arrival.hitRate).toBe(0.75);
    expect(result.timings).toMatchObject({ targetTime: T, decidedAt: T + 5, targetChoice: 'requested' });
    expect(result.timings.firstSendAt).toBe(result.timings.lastSendAt);
    expect(fx.outcomes.recorded).toEqual(ids(4).map((agentId, i) => ({ agentId, outcome: 'ready', processingMs: 40 + i, verb: 'observe' })));
    expect(fx.store.records.get(result.operationId)).toMatchObject({ state: 'completed', result });
    expect(fx.events()).toEqual(expect.arrayContaining(['operation.started', 'operation.hold_sent', 'operation.completed']));
    expect(fx.logs.filter((l) => l.event === 'operation.completed').every((l) => l.operation_id === result.operationId)).toBe(true);
  });

  it("records both the agent's conversion and the lead's, and says which the result uses", async () => {
    const skewed = agent('skewed', { clock: { offsetMs: 1_500, driftPpm: 0, atLocalMs: T0 - 1_500 } });
    const blind = agent('blind', { clock: null });
    for (const basis of ['agent', 'lead'] as const) {
      const fx = await makeFixture([skewed, blind], { arrivalBasis: basis });
      const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T });
      await fx.scheduler.advanceTo(T);
      // The agent says T + 1; by the offset the lead holds, its local ready time is T + 4.
      await answer(fx, [
        { agentId: 'skewed', readyAtMesh: T + 1, readyAtLocal: T - 1_500 + 4 },
        { agentId: 'blind', readyAtMesh: T + 2, readyAtLocal: 12_345 },
      ]);
      const result = completed(await handle.outcome);
      const byId = Object.fromEntries(result.responders.map((r) => [r.agentId, r]));
      expect(byId.skewed).toMatchObject({ readyAtMeshAgent: T + 1, readyAtMeshLead: T + 4, basis, arrivalErrorMs: basis === 'agent' ? 1 : 4 });
      expect(byId.blind).toMatchObject({ readyAtMeshLead: null, basis: 'agent', arrivalErrorMs: 2 });
      expect(result.arrival).toMatchObject({ basis, basisDisagreementMaxMs: 3 });
    }
  });

  it('gives RESOLVE_CONFLICTS when conflicts exceed the threshold', async () => {
    const fx = await makeFixture(ids(10).map((id) => agent(id)));
    const handle = await fx.engine.submit({ verb: 'decide', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, maxConflictRate: 0.1 });
    await fx.scheduler.advanceTo(T);
    await answer(fx, ids(10).map((agentId, i) => ({ agentId, readyAtMesh: T, state: i < 2 ? -1 : 1 })));
    const result = completed(await handle.outcome);
    expect(result).toMatchObject({ status: 'PARTIAL', decision: 'RESOLVE_CONFLICTS', counts: { ready: 8, conflicts: 2 } });
    expect(result.conflicts.map((c) => c.agentId)).toEqual(['agent-0', 'agent-1']);
    expect(result.responders).toHaveLength(8);
    expect(fx.outcomes.recorded.filter((r) => r.outcome === 'conflict')).toHaveLength(2);
    expect(fx.events().filter((e) => e === 'ack.conflict')).toHaveLength(2);
  });

  it('gives WAIT at the deadline when too many are still in transit, and names the stragglers', async () => {
    const fx = await makeFixture(ids(10).map((id) => agent(id)));
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 20 });
    await fx.scheduler.advanceTo(T);
    await answer(fx, [
      { agentId: 'agent-0', readyAtMesh: T },
      { agentId: 'agent-1', readyAtMesh: T },
      { agentId: 'agent-2', readyAtMesh: T, state: 0 },
    ]);
    const deadline = T + 20 + (10 + 2) + fx.engine.options.ackReturnSlackMs;
    await fx.scheduler.advanceTo(deadline - 0.001);
    expect(fx.engine.stats().inFlight).toBe(1);
    await fx.scheduler.advanceTo(deadline);
    const result = completed(await handle.outcome);
    expect(result).toMatchObject({ status: 'PARTIAL', decision: 'WAIT', counts: { ready: 2, transit: 1, stragglers: 7 } });
    expect(result.quorum.counts).toMatchObject({ transit: 8, unanswered: 7, total: 10 });
    expect(result.stragglers).toEqual(ids(10).slice(3));
    expect(result.timings.decidedAt).toBe(deadline);
    expect(fx.outcomes.recorded.filter((r) => r.outcome === 'no_ack').map((r) => r.agentId)).toEqual(ids(10).slice(3));
  });

  it('never waits past the timeout, and refuses a T whose window ends after it', async () => {
    const fx = await makeFixture([agent('a')]);
    const op = { verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T } as const;
    // T + window + return trip + slack = T0 + 1187, beyond the timeout: the timeout wins.
    const handle = await fx.engine.submit({ ...op, arrivalWindowMs: 150, timeoutMs: 1_160 });
    await fx.scheduler.advanceTo(T0 + 10_000);
    expect(completed(await handle.outcome).timings.decidedAt).toBe(T0 + 1_160);
    const late = await fx.engine.submit({ ...op, operationId: 'too-late', targetTime: T0 + 10_900, arrivalWindowMs: 500, timeoutMs: 1_200 });
    expect(late.admission).toBe('refused');
    expect(await late.outcome).toMatchObject({ status: 'refused', refusal: { code: 'INVALID_TARGET_TIME', path: 'targetTime' } });
  });
});

describe('ACK intake', () => {
  it('verifies before anything else and refuses with a stable code, counting each', async () => {
    const fx = await makeFixture([agent('a'), agent('b')]);
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { agent_ids: ['a'] }, releaseMode: 'lead', targetTime: T });
    await fx.scheduler.advanceTo(T);
    const coordinate = coordinateFor(fx, 'a');
    const forged = await signedAck(fx, { agentId: 'a', coordinate, readyAtMesh: T, signer: fx.strangerSigner });
    expect(await fx.transport.deliver(forged)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    const notSent = await signedAck(fx, { agentId: 'b', coordinate, readyAtMesh: T });
    expect(await fx.transport.deliver(notSent)).toMatchObject({ ok: false, code: 'NOT_A_TARGET' });
    const wrong = await signedAck(fx, { agentId: 'a', coordinate: { ...coordinate, message_id: 'other-coordinate-1' }, readyAtMesh: T });
    expect(await fx.transport.deliver(wrong)).toMatchObject({ ok: false, code: 'COORDINATE_MISMATCH' });
    const elsewhere = await signedAck(fx, { agentId: 'a', coordinate: { ...coordinate, operation_id: 'op-nobody' }, readyAtMesh: T });
    expect(await fx.transport.deliver(elsewhere)).toMatchObject({ ok: false, code: 'UNKNOWN_OPERATION' });
    const good = await signedAck(fx, { agentId: 'a', coordinate, readyAtMesh: T });
    expect(await fx.transport.deliver(good)).toMatchObject({ ok: true, answered: { signerId: 'a' } });
    expect(await fx.transport.deliver(good)).toMatchObject({ ok: false, code: 'REPLAYED' });
    expect(completed(await handle.outcome).counts.ready).toBe(1);
    expect(fx.engine.stats().acks).toEqual({
      accepted: 1,
      refused: { BAD_SIGNATURE: 1, NOT_A_TARGET: 1, COORDINATE_MISMATCH: 1, UNKNOWN_OPERATION: 1, REPLAYED: 1 },
    });
  });

  it('confirms a resent ACK (new message id) without counting it twice', async () => {
    const fx = await makeFixture([agent('a'), agent('b')]);
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T });
    await fx.scheduler.advanceTo(T);
    expect(await answer(fx, [{ agentId: 'a', readyAtMesh: T }, { agentId: 'a', readyAtMesh: T + 9 }])).toMatchObject([{ ok: true, answered: { signerId: 'a' } }, { ok: true, answered: { signerId: 'a' } }]);
    await answer(fx, [{ agentId: 'b', readyAtMesh: T }]);
    const result = completed(await handle.outcome);
    expect(result.responders.map((r) => [r.agentId, r.arrivalErrorMs])).toEqual([['a', 0], ['b', 0]]);
  });

  it('confirms and records an ACK that arrives after the decision, leaving the result alone', async () => {
    const fx = await makeFixture([agent('a'), agent('slow')]);
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 10, minResponseRate: 0.5 });
    await fx.scheduler.advanceTo(T);
    await answer(fx, [{ agentId: 'a', readyAtMesh: T }]);
    await fx.scheduler.advanceTo(T + 1_000);
    const result = completed(await handle.outcome);
    expect(result.stragglers).toEqual(['slow']);
    // Answered only once the history has it, at the next batched save.
    let answered = false;
    const reply = answer(fx, [{ agentId: 'slow', readyAtMesh: T + 700, late: true }]).finally(() => (answered = true));
    await vi.waitFor(() => expect(fx.events()).toContain('ack.late'));
    await fx.scheduler.advanceTo(T + 1_000 + LATE_ACK_SAVE_DELAY_MS - 1);
    expect(answered).toBe(false);
    await fx.scheduler.advanceTo(T + 1_000 + LATE_ACK_SAVE_DELAY_MS);
    expect(await reply).toMatchObject([{ ok: true, answered: { signerId: 'slow' } }]);
    const record = fx.store.records.get(result.operationId)!;
    expect(record.lateAcks).toEqual([{ agentId: 'slow', receivedAt: T + 1_000, trinaryState: 1, readyAtMesh: T + 700 }]);
    expect(record.result).toBe(result);
    expect(fx.events()).toContain('ack.late');
  });

  it('counts an ACK that reached the lead before the deadline but was still being verified at it', async () => {
    // A busy lead: verifications wait until the test lets them through.
    const held: Array<() => void> = [];
    let holding = false;
    const fx = await makeFixture([agent('a'), agent('b')], {}, {
      wrapVerifier: (inner) => ({
        verify: async (frame) => {
          if (holding) await new Promise<void>((go) => held.push(go));
          return inner.verify(frame);
        },
      }),
    });
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 10 });
    await fx.scheduler.advanceTo(T);
    await answer(fx, [{ agentId: 'a', readyAtMesh: T }]);
    holding = true;
    const reply = fx.transport.deliver(await signedAck(fx, { agentId: 'b', coordinate: coordinateFor(fx, 'b'), readyAtMesh: T + 1 }));
    await vi.waitFor(() => expect(held).toHaveLength(1));
    // The deadline passes while b's ACK, received in time, is still queued: no decision yet.
    await fx.scheduler.advanceTo(T + 1_000);
    let decided = false;
    void handle.outcome.then(() => (decided = true));
    await Promise.resolve();
    expect(decided).toBe(false);
    held.shift()!();
    expect(await reply).toMatchObject({ ok: true });
    const result = completed(await handle.outcome);
    expect(result.status).toBe('SUCCESS');
    expect(result.responders.map((r) => r.agentId).sort()).toEqual(['a', 'b']);
    expect(result.stragglers).toEqual([]);
    expect(fx.events()).not.toContain('ack.late');
    expect(fx.logs.find((line) => line.event === 'operation.completed')).toMatchObject({ counted_after_deadline: 1 });
  });

  it('decides at most ackBacklogMaxMs after the deadline however long verification takes; the ACK is then late', async () => {
    let holding = false;
    const held: Array<() => void> = [];
    const fx = await makeFixture([agent('a'), agent('b')], { ackBacklogMaxMs: 500 }, {
      wrapVerifier: (inner) => ({
        verify: async (frame) => {
          if (holding) await new Promise<void>((go) => held.push(go));
          return inner.verify(frame);
        },
      }),
    });
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 10, minResponseRate: 0.5 });
    await fx.scheduler.advanceTo(T);
    await answer(fx, [{ agentId: 'a', readyAtMesh: T }]);
    holding = true;
    const reply = fx.transport.deliver(await signedAck(fx, { agentId: 'b', coordinate: coordinateFor(fx, 'b'), readyAtMesh: T + 1 }));
    await vi.waitFor(() => expect(held).toHaveLength(1));
    await fx.scheduler.advanceTo(T + 5_000);
    const result = completed(await handle.outcome);
    expect(result.stragglers).toEqual(['b']);
    held.shift()!();
    await vi.waitFor(() => expect(fx.events()).toContain('ack.late'));
    await fx.scheduler.advanceTo(T + 5_000 + LATE_ACK_SAVE_DELAY_MS);
    expect(await reply).toMatchObject({ ok: true });
  });

  it('writes a burst of late ACKs to the history once, not once per ACK', async () => {
    const late = Array.from({ length: 50 }, (_, i) => agent(`late-${i}`));
    const fx = await makeFixture([agent('a'), ...late]);
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, minResponseRate: 0.01 });
    await fx.scheduler.advanceTo(T);
    await answer(fx, [{ agentId: 'a', readyAtMesh: T }]);
    await fx.scheduler.advanceTo(T + 1_000);
    const result = completed(await handle.outcome);
    expect(result.stragglers).toHaveLength(late.length);
    const savesAtDecision = fx.store.saves;
    const replies = Promise.all(late.map((a) => answer(fx, [{ agentId: a.agentId, readyAtMesh: T + 500, late: true }])));
    await vi.waitFor(() => expect(fx.events().filter((e) => e === 'ack.late')).toHaveLength(late.length));
    await fx.scheduler.advanceTo(T + 1_000 + LATE_ACK_SAVE_DELAY_MS - 1);
    expect(fx.store.saves).toBe(savesAtDecision);
    await fx.scheduler.advanceTo(T + 1_000 + LATE_ACK_SAVE_DELAY_MS);
    expect((await replies).flat()).toMatchObject(late.map(() => ({ ok: true })));
    expect(fx.store.saves).toBe(savesAtDecision + 1);
    expect(fx.store.records.get(result.operationId)!.lateAcks).toHaveLength(late.length);
  });
});
