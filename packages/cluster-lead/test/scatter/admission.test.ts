import { describe, expect, it } from 'vitest';
import type { OperationRequestInput } from '../../src/scatter/operation-request.js';
import { T0, agent, makeFixture } from './support/engine-fixture.js';
import type { Fixture } from './support/engine-fixture.js';

// With the defaults below an operation on agent `a` picks T = now + 72 (its hold lead time,
// 10 + 50 x 1.1 + 2, plus 5 ms slack) and is decided at T + window + 12 + 25 when nobody answers.
const op = (operationId: string, over: Partial<OperationRequestInput> = {}): OperationRequestInput => ({
  operationId,
  verb: 'act',
  payload: null,
  targets: { agent_ids: ['a'] },
  releaseMode: 'hold',
  arrivalWindowMs: 10,
  ...over,
});
const RUN_MS = 72 + 10 + 12 + 25;

const started = (fx: Fixture) => fx.logs.filter((l) => l.event === 'operation.started').map((l) => l.operation_id);

describe('admission control', () => {
  it('runs a bounded number at once, queues the next ones, and refuses when the queue is full too', async () => {
    const fx = await makeFixture([agent('a')], { maxInFlight: 2, maxQueued: 2 });
    const admissions = [];
    for (const id of ['one', 'two', 'three', 'four', 'five']) admissions.push((await fx.engine.submit(op(id))).admission);
    expect(admissions).toEqual(['started', 'started', 'queued', 'queued', 'refused']);
    expect(fx.engine.stats()).toMatchObject({ inFlight: 2, queued: 2 });
    const refusal = await (await fx.engine.submit(op('six'))).outcome;
    expect(refusal).toEqual({ status: 'refused', refusal: { code: 'SATURATED', reason: '2 operations in flight and 2 queued (limits 2 and 2)' } });
    expect(fx.events()).toContain('operation.refused');
    await fx.scheduler.advance(RUN_MS);
    expect(started(fx)).toEqual(['one', 'two', 'three', 'four']);
    await fx.scheduler.advance(RUN_MS);
    expect(fx.engine.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('serves the queue by priority, and ages waiting operations so low priorities do not starve', async () => {
    const fx = await makeFixture([agent('a')], { maxInFlight: 1, agingStepMs: 100 });
    await fx.engine.submit(op('busy', { arrivalWindowMs: 1_000 })); // decided at T0 + 1104
    await fx.engine.submit(op('low', { priority: 0 }));
    await fx.scheduler.advanceTo(T0 + 100);
    await fx.engine.submit(op('critical-early', { priority: 3 }));
    await fx.scheduler.advanceTo(T0 + 300);
    await fx.engine.submit(op('critical-late', { priority: 3 }));
    // At T0 + 1104: low has aged to 0 + 11, critical-early to 3 + 10, critical-late to 3 + 8.
    for (let i = 0; i < 4; i += 1) await fx.scheduler.advanceTo(fx.scheduler.nextAt() ?? fx.clock.now());
    expect(started(fx)).toEqual(['busy', 'critical-early', 'low', 'critical-late']);
  });

  it('refuses an operation that waited longer than the queue allows', async () => {
    const fx = await makeFixture([agent('a')], { maxInFlight: 1, maxQueueWaitMs: 50 });
    await fx.engine.submit(op('busy'));
    const waiting = await fx.engine.submit(op('waiting'));
    await fx.scheduler.advance(50);
    expect(await waiting.outcome).toMatchObject({ status: 'refused', refusal: { code: 'QUEUE_TIMEOUT' } });
    expect(fx.engine.stats().queued).toBe(0);
  });

  it('applies the degradation gate of the current mode', async () => {
    const many = Array.from({ length: 1_001 }, (_, i) => agent(`n${i}`));
    const fx = await makeFixture([agent('a'), ...many]);
    fx.mode.current = 'DEGRADED_MODERATE';
    const big = await fx.engine.submit(op('big', { targets: { all: true }, priority: 3 }));
    expect(await big.outcome).toMatchObject({ status: 'refused', refusal: { code: 'SCATTER_TOO_LARGE' } });
    // Non-urgent work waits for a better mode instead of being refused.
    const routine = await fx.engine.submit(op('routine', { priority: 1 }));
    expect(routine.admission).toBe('queued');
    await fx.scheduler.advance(1_000);
    expect(started(fx)).toEqual([]);
    fx.mode.current = 'FULL';
    fx.engine.modeChanged();
    expect(started(fx)).toEqual(['routine']);
    fx.mode.current = 'EMERGENCY';
    const automated = await fx.engine.submit(op('bot', { automated: true, priority: 3 }));
    expect(await automated.outcome).toMatchObject({ status: 'refused', refusal: { code: 'AUTOMATION_HALTED' } });
  });

  it('runs an operation an operator overrode, and the result lists what was waived', async () => {
    const fx = await makeFixture([agent('a')]);
    fx.mode.current = 'DEGRADED_SEVERE';
    const handle = await fx.engine.submit(op('override', { targets: { all: true }, priority: 3, operatorOverride: true }));
    expect(handle.admission).toBe('started');
    await fx.scheduler.advance(RUN_MS);
    const outcome = await handle.outcome;
    expect(outcome.status === 'completed' && outcome.result.waived.map((w) => w.code)).toEqual(['OPERATOR_OVERRIDE_REQUIRED']);
  });

  it('refuses a malformed request or a reused id with the offending field', async () => {
    const fx = await makeFixture([agent('a')]);
    const bad = await fx.engine.submit({ ...op('x'), minResponseRate: 1.5 });
    expect(await bad.outcome).toMatchObject({ status: 'refused', refusal: { code: 'INVALID_OPERATION', path: 'minResponseRate' } });
    await fx.engine.submit(op('same'));
    const again = await fx.engine.submit(op('same'));
    expect(await again.outcome).toMatchObject({ status: 'refused', refusal: { code: 'INVALID_OPERATION', path: 'operationId' } });
  });

  it('on stop refuses what is queued and decides what is running', async () => {
    const fx = await makeFixture([agent('a')], { maxInFlight: 1 });
    const running = await fx.engine.submit(op('running'));
    const queued = await fx.engine.submit(op('queued'));
    fx.engine.stop();
    expect(await queued.outcome).toMatchObject({ status: 'refused', refusal: { code: 'ENGINE_STOPPED' } });
    expect(await running.outcome).toMatchObject({ status: 'completed', result: { stragglers: [], counts: { sent: 0 } } });
    expect(fx.transport.subscribed).toBe(false);
    expect(fx.scheduler.pending('send')).toBe(0);
  });
});
