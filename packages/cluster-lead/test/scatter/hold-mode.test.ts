import { describe, expect, it } from 'vitest';
import { T0, agent, makeFixture } from './support/engine-fixture.js';

const T = T0 + 1_000;
const MARGIN = 10;
const AGENTS = [
  agent('quick', { oneWayDelayMs: 2 }), // lead 54
  agent('middle', { oneWayDelayMs: 60 }), // lead 112
  agent('slowest', { oneWayDelayMs: 250 }), // lead 302 with processing 50
];

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
    expect(group!.at).toBe(T - 302 - MARGIN - fx.engine.options.signCostMsPerFrame);
    expect(group!.at).toBeLessThanOrEqual(T - 302);
    expect(group!.message).toMatchObject({ release_mode: 'hold', target_time: T, selector: { cluster_id: 'cluster-1' } });
    expect(group!.message.compensation).toBeUndefined();
    // The per-agent compensation lives in the operation's record instead.
    const record = fx.store.records.get(handle.operationId!)!;
    expect(record.plan.map((p) => [p.agentId, p.mode, p.leadTimeMs, p.expectedProcessingMs])).toEqual([
      ['quick', 'hold', 54, 50],
      ['middle', 'hold', 112, 50],
      ['slowest', 'hold', 302, 50],
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

  it('chooses T itself when none is given: the slowest lead time plus slack, capped by the horizon', async () => {
    const fx = await makeFixture(AGENTS);
    const handle = await fx.engine.submit({ verb: 'sync', payload: null, targets: { all: true }, releaseMode: 'hold' });
    const record = fx.store.records.get(handle.operationId!)!;
    expect(record.targetTime).toBe(T0 + 302 + 5);
    expect(record.skipped).toEqual([]);
    const capped = await fx.engine.submit({ verb: 'sync', payload: null, targets: { all: true }, releaseMode: 'hold', leadHorizonMs: 200 });
    const cut = fx.store.records.get(capped.operationId!)!;
    expect(cut.targetTime).toBe(T0 + 200);
    expect(cut.skipped.map((s) => [s.agentId, s.reason])).toEqual([['slowest', 'insufficient_lead_time']]);
  });
});
