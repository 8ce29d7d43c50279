// The signed reply to an ACK waits for its operation's decision, but never so long that the
// replies held before it, signed in turn, would leave it late for its agent (replyHoldMs from
// its arrival). Time is the ManualClock's: nothing here measures speed.
import { describe, expect, it } from 'vitest';
import type { AckReply } from '../../src/scatter/ports.js';
import { T0, agent, coordinateFor, makeFixture, signedAck, type Fixture } from './support/engine-fixture.js';

const T = T0 + 1_000;

/** Delivers one ACK now and reports when its reply comes (the reply itself is kept). */
async function ackFrom(fx: Fixture, agentId: string, readyAtMesh: number): Promise<{ reply: Promise<AckReply>; answered: () => boolean }> {
  let done = false;
  const reply = fx.transport.deliver(await signedAck(fx, { agentId, coordinate: coordinateFor(fx, agentId), readyAtMesh }));
  void reply.then(() => (done = true));
  return { reply, answered: () => done };
}

/** Lets every promise that can settle now settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('reply gate', () => {
  it('holds the replies until the decision when it comes within the hold', async () => {
    const fx = await makeFixture([agent('a'), agent('b'), agent('c')], { replyHoldMs: 1_000, ackReturnSlackMs: 5_000 });
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 10, timeoutMs: 10_000 });
    await fx.scheduler.advanceTo(T + 10);
    const a = await ackFrom(fx, 'a', T);
    await fx.scheduler.advanceTo(T + 20);
    const b = await ackFrom(fx, 'b', T);
    await fx.scheduler.advanceTo(T + 900);
    await settle();
    expect([a.answered(), b.answered()]).toEqual([false, false]);
    // The last ACK completes the operation: decided, and every reply goes.
    const c = await ackFrom(fx, 'c', T);
    expect(await Promise.all([a.reply, b.reply, c.reply])).toMatchObject([{ ok: true }, { ok: true }, { ok: true }]);
    expect(await handle.outcome).toMatchObject({ status: 'completed', result: { status: 'SUCCESS', timings: { decidedAt: T + 900 } } });
  });

  it('opens, undecided, by the earliest arrival + hold less the signing of the replies held before each', async () => {
    // 100 ms a signature (exaggerated to be seen): b, held second, needs the gate open by
    // T + 50 + 1,000 - 100, earlier than a's T + 1,000.
    const fx = await makeFixture([agent('a'), agent('b'), agent('c')], { replyHoldMs: 1_000, signCostMsPerFrame: 100, ackReturnSlackMs: 5_000 });
    await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 10, timeoutMs: 10_000 });
    await fx.scheduler.advanceTo(T);
    const a = await ackFrom(fx, 'a', T);
    await fx.scheduler.advanceTo(T + 50);
    const b = await ackFrom(fx, 'b', T);
    await fx.scheduler.advanceTo(T + 949);
    await settle();
    expect([a.answered(), b.answered()]).toEqual([false, false]);
    await fx.scheduler.advanceTo(T + 950);
    expect(await Promise.all([a.reply, b.reply])).toMatchObject([{ ok: true }, { ok: true }]);
    // Once open, an ACK is answered at once; the operation is still waiting for nobody else.
    const c = await ackFrom(fx, 'c', T);
    expect(await c.reply).toMatchObject({ ok: true });
  });

  it('keeps the gate where the first reply put it when a later one has time to spare', async () => {
    const fx = await makeFixture([agent('a'), agent('b'), agent('c')], { replyHoldMs: 1_000, signCostMsPerFrame: 1, ackReturnSlackMs: 5_000 });
    await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T, arrivalWindowMs: 10, timeoutMs: 10_000 });
    await fx.scheduler.advanceTo(T);
    const a = await ackFrom(fx, 'a', T);
    await fx.scheduler.advanceTo(T + 500);
    const b = await ackFrom(fx, 'b', T);
    await fx.scheduler.advanceTo(T + 999);
    await settle();
    expect([a.answered(), b.answered()]).toEqual([false, false]);
    await fx.scheduler.advanceTo(T + 1_000);
    expect(await Promise.all([a.reply, b.reply])).toMatchObject([{ ok: true }, { ok: true }]);
  });
});
