import { verifyAndParse } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { describe, expect, it } from 'vitest';
import { LEAD_ID, T0, agent, answer, makeFixture } from './support/engine-fixture.js';
import type { Fixture } from './support/engine-fixture.js';

const T = T0 + 1_000;
// Lead mode aims at the median: lead time = one-way delay + median processing, no buffer.
const AGENTS = [
  agent('a', { oneWayDelayMs: 10 }), // 60 -> T-60
  agent('b', { oneWayDelayMs: 12 }), // 62 -> T-62, same bucket as a
  agent('c', { oneWayDelayMs: 100 }), // 150 -> T-150
  agent('d', { oneWayDelayMs: 103 }), // 153 -> T-153, same bucket as c
  agent('e', { oneWayDelayMs: 300 }), // 490 -> T-490 (median processing 190 below, mean 200)
];
const LEAD_TIME: Record<string, number> = { a: 60, b: 62, c: 150, d: 153, e: 490 };

async function leadFixture(): Promise<Fixture> {
  const fx = await makeFixture(AGENTS);
  fx.registry.processing.set('e', { expectedMs: 200, spreadMs: 40, medianMs: 190 });
  return fx;
}

describe('lead mode', () => {
  it('arms one timer per 10 ms bucket, not one per agent', async () => {
    const fx = await leadFixture();
    const handle = await fx.engine.submit({ verb: 'act', payload: { go: 1 }, targets: { all: true }, releaseMode: 'lead', targetTime: T });
    expect(handle.admission).toBe('started');
    const sendTimers = fx.scheduler.history.filter((t) => t.label === 'send');
    expect(sendTimers).toHaveLength(3);
    await fx.scheduler.advanceTo(T);
    expect(fx.transport.published).toHaveLength(5);
    // Agents of one bucket leave together.
    const at = (id: string) => fx.transport.published.find((p) => p.to === id)!.at;
    expect(at('a')).toBe(at('b'));
    expect(at('c')).toBe(at('d'));
    expect(new Set(fx.transport.published.map((p) => p.at)).size).toBe(3);
  });

  it('sends every agent no later than T minus its lead time, and at most a bucket earlier', async () => {
    const fx = await leadFixture();
    await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'lead', targetTime: T });
    await fx.scheduler.advanceTo(T);
    for (const p of fx.transport.published) {
      const lead = LEAD_TIME[p.to]!;
      expect(p.at).toBeLessThanOrEqual(T - lead);
      expect(T - lead - p.at).toBeLessThan(fx.engine.options.bucketMs + 1);
    }
  });

  it("sends each agent its own signed COORDINATE on its agent subject, carrying T and its compensation", async () => {
    const fx = await leadFixture();
    await fx.engine.submit({ verb: 'act', payload: { go: 1 }, targets: { all: true }, releaseMode: 'lead', targetTime: T });
    await fx.scheduler.advanceTo(T);
    const e = fx.transport.published.find((p) => p.to === 'e')!;
    expect(e.channel).toBe('agent');
    expect(e.message).toMatchObject({
      release_mode: 'lead',
      target_time: T,
      selector: { agent_ids: ['e'] },
      compensation: { e: { lead_time_ms: 490, expected_processing_ms: 190, confidence: 1 } },
    });
    const verified = await verifyAndParse(e.frame, {
      ed25519: nodeEd25519,
      resolveKey: (id) => (id === LEAD_ID ? { ok: true, value: fx.leadPublicKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } }),
      accept: ['COORDINATE'],
    });
    expect(verified.ok).toBe(true);
  });

  it('fires a big bucket early by its estimated signing cost, never before the plan was made', async () => {
    const many = Array.from({ length: 40 }, (_, i) => agent(`m${i}`));
    const fx = await makeFixture(many, { signCostMsPerFrame: 0.5 });
    await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'lead', targetTime: T });
    const [send] = fx.scheduler.history.filter((t) => t.label === 'send');
    expect(send!.timeMs).toBe(T - 60 - 40 * 0.5);
  });
});

describe('lead mode: waiting for the late half', () => {
  it('waits for a lead-mode agent until twice its median processing after T, since it aims at the median', async () => {
    const fx = await makeFixture([agent('a', { oneWayDelayMs: 10 }), agent('b', { oneWayDelayMs: 10 })]);
    fx.registry.processing.set('a', { expectedMs: 200, spreadMs: 40, medianMs: 180 });
    const handle = await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'lead', targetTime: T, arrivalWindowMs: 20 });
    await fx.scheduler.advanceTo(T);
    // a finishes 150 ms after T: past the window, but well within its median's allowance.
    await answer(fx, [{ agentId: 'b', readyAtMesh: T }]);
    const deadline = T + 20 + (10 + 180) + fx.engine.options.ackReturnSlackMs;
    await fx.scheduler.advanceTo(T + 150);
    expect(fx.engine.stats().inFlight).toBe(1);
    await answer(fx, [{ agentId: 'a', readyAtMesh: T + 150 }]);
    const outcome = await handle.outcome;
    expect(outcome.status === 'completed' && outcome.result.stragglers).toEqual([]);
    expect(outcome.status === 'completed' && outcome.result.timings.decidedAt).toBeLessThan(deadline);
  });
});

describe('none mode (the baseline)', () => {
  it('sends everyone at once with one timer, and expects them ready when processing ends', async () => {
    const fx = await leadFixture();
    await fx.engine.submit({ verb: 'act', payload: null, targets: { all: true }, releaseMode: 'none', targetTime: T });
    expect(fx.scheduler.history.filter((t) => t.label === 'send')).toHaveLength(1);
    await fx.scheduler.advance(0);
    expect(fx.transport.published.map((p) => p.at)).toEqual(Array(5).fill(T0));
    expect(fx.transport.published.every((p) => p.message.release_mode === 'none' && p.message.compensation === undefined)).toBe(true);
    const record = fx.store.records.values().next().value!;
    expect(record.plan.find((p) => p.agentId === 'e')!.expectedReadyAt).toBe(T0 + 300 + 200);
  });
});
