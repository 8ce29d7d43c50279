import { describe, expect, it } from 'vitest';
import type { RunJournal } from '../../src/scatter/ports.js';
import { T0, agent, makeFixture } from './support/engine-fixture.js';

const T = T0 + 1_000;
const MARGIN = 10;
// Hold lead times are tails: one-way delay (no jitter here), processing 50 ms + 10 % margin, 2 ms floor.
const AGENTS = [
  agent('quick', { oneWayDelayMs: 2 }), // hold lead 59
  agent('middle', { oneWayDelayMs: 60 }), // hold lead 117
  agent('slowest', { oneWayDelayMs: 250 }), // hold lead 307
];
const round = (x: number): number => Math.round(x * 1e6) / 1e6;

describe('hold mode', () => {
  it('publishes ONE signed group COORDINATE, early enough for the slowest member, with T and the selector and no per-agent map', async () => {
    const fx = await makeFixture(AGENTS);
    const handle = await fx.engine.submit({ verb: 'sync', payload: { v: 7 }, targets: { cluster_id: 'cluster-1' }, releaseMode: 'hold', targetTime: T });
    expect(fx.scheduler.history.filter((t) => t.label === 'send')).toHaveLength(1);
    await fx.scheduler.advanceTo(T);
    expect(fx.transport.published).toHaveLength(1);
    const [group] = fx.transport.published;
    expect(group!.channel).toBe('group');
    // The group's send time from shared's schedule, less the signing allowance of one frame.
    expect(group!.at).toBeCloseTo(T - 307 - MARGIN - fx.engine.options.signCostMsPerFrame, 6);
    expect(group!.at).toBeLessThanOrEqual(T - 307 + 1e-6);
    expect(group!.message).toMatchObject({ release_mode: 'hold', target_time: T, selector: { cluster_id: 'cluster-1' } });
    expect(group!.message.compensation).toBeUndefined();
    // The per-agent compensation lives in the operation's record instead.
    const record = fx.store.records.get(handle.operationId!)!;
    expect(record.plan.map((p) => [p.agentId, p.mode, round(p.leadTimeMs), round(p.expectedProcessingMs)])).toEqual([
      ['quick', 'hold', 59, 55],
      ['middle', 'hold', 117, 55],
      ['slowest', 'hold', 307, 55],
    ]);
    expect(record.holdMessages).toEqual([{ coordinateId: group!.message.message_id, sendAt: group!.at, selector: { cluster_id: 'cluster-1' }, agentCount: 3 }]);
  });

  it('lists the held agents by id when the selector would also reach an agent that is not held', async () => {
    const fx = await makeFixture([...AGENTS, agent('cut-off', { oneWayDelayMs: 1_000 })]);
    await fx.engine.submit({ verb: 'sync', payload: null, targets: { all: true }, releaseMode: 'hold', targetTime: T });
    await fx.scheduler.advanceTo(T);
    expect(fx.transport.published).toHaveLength(1);
    expect(fx.transport.published[0]!.message.selector).toEqual({ agent_ids: ['quick', 'middle', 'slowest'] });
  });

  it('in auto mode holds those that can hold and sends the others their own COORDINATE', async () => {
    const fx = await makeFixture([...AGENTS, agent('old-firmware', { supportedModes: ['lead', 'none'] })]);
    const handle = await fx.engine.submit({ verb: 'sync', payload: null, targets: { all: true }, releaseMode: 'auto', targetTime: T });
    await fx.scheduler.advanceTo(T);
    const group = fx.transport.published.filter((p) => p.channel === 'group');
    const own = fx.transport.published.filter((p) => p.channel === 'agent');
    expect(group).toHaveLength(1);
    expect(group[0]!.message.selector).toEqual({ agent_ids: ['quick', 'middle', 'slowest'] });
    expect(own.map((p) => [p.to, p.message.release_mode])).toEqual([['old-firmware', 'lead']]);
    expect(fx.store.records.get(handle.operationId!)!.plan.find((p) => p.agentId === 'old-firmware')!.mode).toBe('lead');
  });

  it('chooses T itself when none is given: the slowest hold lead time (its tail) plus slack, capped by the horizon', async () => {
    const fx = await makeFixture(AGENTS);
    const handle = await fx.engine.submit({ verb: 'sync', payload: null, targets: { all: true }, releaseMode: 'hold' });
    const record = fx.store.records.get(handle.operationId!)!;
    expect(record.targetTime).toBeCloseTo(T0 + 307 + 5, 6);
    // The plan says why: the slowest member's hold lead time, and its parts.
    expect(record.targetSetBy).toMatchObject({ agentId: 'slowest', mode: 'hold', lead: { oneWayDelayMs: 250, bufferMs: 2 } });
    expect(record.targetSetBy!.lead.expectedProcessingMs).toBeCloseTo(55, 6);
    expect(record.skipped).toEqual([]);
    const capped = await fx.engine.submit({ verb: 'sync', payload: null, targets: { all: true }, releaseMode: 'hold', leadHorizonMs: 200 });
    const cut = fx.store.records.get(capped.operationId!)!;
    expect(cut.targetTime).toBe(T0 + 200);
    expect(cut.skipped.map((s) => [s.agentId, s.reason])).toEqual([['slowest', 'insufficient_lead_time']]);
  });

  it("sizes a chosen T for the lead's own lag to its first send: the prior per agent, then what its operations took", async () => {
    let slowWrite = 0;
    let advance: (ms: number) => void = () => undefined;
    // A lead whose journal write takes `slowWrite` ms: the group cannot leave before it is done.
    const journal: RunJournal = { begun: () => advance(slowWrite), acked: () => Promise.resolve(), ended: (_id, alongside) => alongside(), load: () => [] };
    const fx = await makeFixture(AGENTS, { sendLagPerAgentMs: 2 }, { journal });
    advance = (ms) => fx.clock.advance(ms);
    slowWrite = 95;
    const first = await fx.engine.submit({ verb: 'sync', payload: null, targets: { all: true }, releaseMode: 'hold' });
    // The slowest tail (307) + the slack (5) + the prior, 2 ms for each of 3 agents.
    expect(fx.store.records.get(first.operationId!)!.targetTime).toBeCloseTo(T0 + 307 + 5 + 6, 6);
    const sentAt = fx.clock.now();
    await fx.scheduler.advanceTo(sentAt);
    expect(fx.transport.published).toHaveLength(1);
    // The group left 95 ms after T was chosen: 90 ms beyond the slack, 30 per agent, for the next T.
    slowWrite = 0;
    const secondAt = fx.clock.now();
    const second = await fx.engine.submit({ verb: 'sync', payload: null, targets: { all: true }, releaseMode: 'hold', operationId: 'second' });
    expect(fx.store.records.get(second.operationId!)!.targetTime).toBeCloseTo(secondAt + 307 + 5 + 90, 6);
  });
});
