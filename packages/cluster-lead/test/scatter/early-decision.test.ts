// An operation is decided as soon as PROCEED is certain, and its result is closed at the
// deadline (or once everyone answered): an agent that answers between the two is counted like
// any other, not made a straggler. ManualClock time; nothing here measures speed.
import { describe, expect, it } from 'vitest';
import type { OperationOutcome } from '../../src/scatter/engine.js';
import type { ScatterResult } from '../../src/scatter/record.js';
import { T0, agent, answer, makeFixture } from './support/engine-fixture.js';

const T = T0 + 1_000;
const ids = (n: number) => Array.from({ length: n }, (_, i) => `agent-${i}`);
/** A deadline well after T: T + window + 10 ms one-way + buffer + this slack. */
const SLACK = { ackReturnSlackMs: 1_000 };

function completed(outcome: OperationOutcome): ScatterResult {
  if (outcome.status !== 'completed') throw new Error(`refused: ${outcome.refusal.code}`);
  return outcome.result;
}

describe('early decision', () => {
  it('decides once PROCEED is certain; an agent answering after that, before the deadline, is counted', async () => {
    const fx = await makeFixture(ids(20).map((id) => agent(id)), SLACK);
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 10 });
    await fx.scheduler.advanceTo(T + 5);
    // 19 of 20 READY: 95% whatever the last one says (a conflict would be 5%, within the limit).
    await answer(fx, ids(19).map((agentId) => ({ agentId, readyAtMesh: T })));
    expect(fx.logs.find((l) => l.event === 'operation.decided')).toMatchObject({ decision: 'PROCEED', decision_after_t_ms: 5, answered: 19, sent: 20 });
    let closed = false;
    void handle.outcome.then(() => (closed = true));
    await fx.scheduler.advanceTo(T + 400);
    expect(closed).toBe(false);
    await answer(fx, [{ agentId: 'agent-19', readyAtMesh: T + 1 }]);
    const result = completed(await handle.outcome);
    expect(result).toMatchObject({ status: 'SUCCESS', decision: 'PROCEED', counts: { sent: 20, ready: 20, stragglers: 0 } });
    expect(result.stragglers).toEqual([]);
    expect(result.timings).toMatchObject({ decidedAt: T + 5, closedAt: T + 400 });
    expect(fx.outcomes.recorded.filter((r) => r.outcome === 'no_ack')).toEqual([]);
    expect(fx.events()).not.toContain('ack.late');
  });

  it('closes the result at the deadline; only the agent silent then is a straggler', async () => {
    const fx = await makeFixture(ids(20).map((id) => agent(id)), SLACK);
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 10 });
    await fx.scheduler.advanceTo(T + 5);
    await answer(fx, ids(19).map((agentId) => ({ agentId, readyAtMesh: T })));
    await fx.scheduler.advanceTo(T + 5_000);
    const result = completed(await handle.outcome);
    expect(result).toMatchObject({ status: 'SUCCESS', counts: { ready: 19, stragglers: 1 } });
    expect(result.stragglers).toEqual(['agent-19']);
    expect(result.timings.decidedAt).toBe(T + 5);
    expect(result.timings.closedAt).toBe(result.timings.deadline);
    expect(fx.outcomes.recorded.filter((r) => r.outcome === 'no_ack').map((r) => r.agentId)).toEqual(['agent-19']);
  });

  it('does not decide early while the silent agents could still make it something else', async () => {
    const fx = await makeFixture(ids(20).map((id) => agent(id)), SLACK);
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 10, minResponseRate: 0.9 });
    await fx.scheduler.advanceTo(T + 5);
    // 18 READY is 90%, but two conflicts from the silent agents would be 10%: over the 5% limit.
    await answer(fx, ids(18).map((agentId) => ({ agentId, readyAtMesh: T })));
    expect(fx.events()).not.toContain('operation.decided');
    await fx.scheduler.advanceTo(T + 5_000);
    const result = completed(await handle.outcome);
    expect(result).toMatchObject({ status: 'SUCCESS', counts: { ready: 18, stragglers: 2 } });
    expect(result.timings.decidedAt).toBe(result.timings.deadline);
    expect(result.timings.closedAt).toBeUndefined();
  });

  it('a conflict after the decision is counted and cannot undo it', async () => {
    const fx = await makeFixture(ids(20).map((id) => agent(id)), SLACK);
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 10 });
    await fx.scheduler.advanceTo(T + 5);
    await answer(fx, ids(19).map((agentId) => ({ agentId, readyAtMesh: T })));
    await fx.scheduler.advanceTo(T + 50);
    await answer(fx, [{ agentId: 'agent-19', readyAtMesh: T, state: -1 }]);
    const result = completed(await handle.outcome);
    expect(result).toMatchObject({ status: 'SUCCESS', decision: 'PROCEED', counts: { ready: 19, conflicts: 1, stragglers: 0 } });
    expect(result.timings).toMatchObject({ decidedAt: T + 5, closedAt: T + 50 });
  });
});
