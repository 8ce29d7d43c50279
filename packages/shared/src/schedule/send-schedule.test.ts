import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestedReleaseMode } from '../protocol/enums.js';
import { feasibleLeadTimeFor, holdLeadTimeFor, leadTimeFor, leadTimeIn } from './lead-time.js';
import { computeSendSchedule, pickReleaseMode, scheduledSends } from './send-schedule.js';
import type { ScheduleEntry, SendSchedule, SendScheduleInput } from './send-schedule.js';
import { agent, agentsArb } from './timing.test-helper.js';

const NOW = 1.75e12;

function schedule(input: SendScheduleInput, holdMarginMs?: number): SendSchedule {
  const result = computeSendSchedule(input, holdMarginMs === undefined ? {} : { holdMarginMs });
  if (!result.ok) throw result.error;
  return result.value;
}

const byId = (entries: readonly ScheduleEntry[], id: string): ScheduleEntry => {
  const entry = entries.find((e) => e.agentId === id);
  if (!entry) throw new Error(`no entry for ${id}`);
  return entry;
};

/**
 * Mesh times near 1.75e12 ms carry about 2.4e-4 ms of double precision, so a send time computed
 * along another path than the bound it is checked against may differ from it by an ulp or two.
 */
const FLOAT_SLACK_MS = 1e-3;

describe('computeSendSchedule: invariants', () => {
  it('never schedules a send in the past or too late for T, in any mode, and skips exactly the agents that cannot make it', () => {
    fc.assert(
      fc.property(
        agentsArb,
        fc.constantFrom(...RequestedReleaseMode.options),
        fc.double({ min: -100, max: 70_000, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (agents, mode, ahead, holdMarginMs) => {
          const targetMs = NOW + ahead;
          const { entries, holdSendAt } = schedule({ targetMs, nowMs: NOW, mode, agents }, holdMarginMs);
          expect(entries.map((e) => e.agentId)).toEqual(agents.map((a) => a.agentId));
          entries.forEach((entry, i) => {
            const timing = agents[i]!;
            const chosen = pickReleaseMode(mode, timing.supportedModes);
            const expected = feasibleLeadTimeFor(chosen, timing).leadTimeMs;
            if (entry.status === 'SCHEDULED') {
              expect(entry.sendAt).toBeGreaterThanOrEqual(NOW);
              // Can make T at its expected lead time; sent by the lead time of its mode (hold: the tail), or now when that does not fit.
              expect(entry.sendAt).toBeLessThanOrEqual(targetMs - expected + FLOAT_SLACK_MS);
              expect(entry.sendAt).toBeLessThanOrEqual(Math.max(NOW, targetMs - entry.leadTimeMs) + FLOAT_SLACK_MS);
              expect(entry.leadTimeMs).toBe(leadTimeIn(chosen, timing).leadTimeMs);
              expect(entry.mode).toBe(chosen);
              if (entry.mode === 'hold') expect(entry.sendAt).toBe(holdSendAt);
            } else if (chosen === undefined) {
              expect(entry.reason).toBe('unsupported_mode');
              expect(entry.wouldNeedMs).toBe(leadTimeFor(timing).leadTimeMs);
            } else {
              expect(entry.reason).toBe('insufficient_lead_time');
              expect(entry.wouldNeedMs).toBe(expected);
              expect(entry.availableMs).toBe(targetMs - NOW);
              expect(targetMs - expected).toBeLessThan(NOW);
            }
          });
        },
      ),
    );
  });
});

describe('computeSendSchedule: lead mode', () => {
  it('sends each agent its median lead time before T, with no buffer, so it is expected ready at T', () => {
    const agents = [
      agent('pi-1', { oneWayDelayMs: 5, expectedProcessingMs: 150, medianProcessingMs: 140, jitterMs: 4, processingSpreadMs: 30 }),
      agent('edge', { oneWayDelayMs: 30, expectedProcessingMs: 10 }),
    ];
    const { entries } = schedule({ targetMs: NOW + 500, nowMs: NOW, mode: 'lead', agents });
    // The median processing, not the mean; no buffer however large the spreads.
    expect(byId(entries, 'pi-1')).toMatchObject({ status: 'SCHEDULED', mode: 'lead', sendAt: NOW + 500 - 145, leadTimeMs: 145, expectedProcessingMs: 140, bufferMs: 0 });
    // Without a median the expectation stands in.
    expect(byId(entries, 'edge')).toMatchObject({ sendAt: NOW + 500 - 40, expectedReadyAt: NOW + 500 });
  });

  it('skips an agent whose lead time exceeds the time left, with both figures', () => {
    const agents = [agent('slow', { oneWayDelayMs: 20, expectedProcessingMs: 90, medianProcessingMs: 80 }), agent('fast', { oneWayDelayMs: 5, expectedProcessingMs: 10 })];
    const { entries } = schedule({ targetMs: NOW + 50, nowMs: NOW, mode: 'lead', agents });
    expect(byId(entries, 'slow')).toEqual({
      status: 'SKIP',
      agentId: 'slow',
      mode: 'lead',
      reason: 'insufficient_lead_time',
      wouldNeedMs: 100,
      availableMs: 50,
    });
    expect(byId(entries, 'fast').status).toBe('SCHEDULED');
  });

  it('schedules an agent whose send time is exactly now', () => {
    const { entries } = schedule({ targetMs: NOW + 60, nowMs: NOW, mode: 'lead', agents: [agent('a')] });
    expect(byId(entries, 'a')).toMatchObject({ status: 'SCHEDULED', sendAt: NOW });
  });
});

describe('computeSendSchedule: hold mode', () => {
  const agents = [
    agent('quick', { oneWayDelayMs: 2, expectedProcessingMs: 46 }),
    agent('slowest', { oneWayDelayMs: 40, expectedProcessingMs: 158 }),
    agent('middle', { oneWayDelayMs: 10, expectedProcessingMs: 108 }),
  ];

  // Hold lead times are the tails: with no spread, the one-way delay, processing plus 10 %, and the 2 ms floor.
  const holdLead = (id: string): number => holdLeadTimeFor(agents.find((a) => a.agentId === id)!).leadTimeMs;

  it('sizes a hold lead time from the tail: upper one-way delay, p99.9 processing with a margin, the floor', () => {
    expect(holdLead('slowest')).toBeCloseTo(40 + 158 * 1.1 + 2, 9);
    const spread = holdLeadTimeFor(agent('x', { oneWayDelayMs: 10, jitterMs: 2, expectedProcessingMs: 100, processingSpreadMs: 25 }));
    // A log-normal with mean 100 and sd 25 has its 99.9 % quantile near 2x the mean, far past mean + 2 sd.
    expect(spread.expectedProcessingMs).toBeGreaterThan(1.1 * (100 + 3 * 25));
    expect(spread.oneWayDelayMs).toBeCloseTo(10 + 3.09 * 2, 9);
    expect(spread.leadTimeMs).toBeGreaterThan(leadTimeFor(agent('x', { oneWayDelayMs: 10, jitterMs: 2, expectedProcessingMs: 100, processingSpreadMs: 25 })).leadTimeMs);
  });

  it('gives the whole group one send time early enough for its slowest member, minus the margin', () => {
    const T = NOW + 1000;
    const { entries, holdSendAt } = schedule({ targetMs: T, nowMs: NOW, mode: 'hold', agents });
    expect(holdSendAt).toBe(T - holdLead('slowest') - 10);
    for (const e of scheduledSends(entries)) {
      expect(e).toMatchObject({ mode: 'hold', sendAt: T - holdLead('slowest') - 10, expectedReadyAt: T });
      expect(e.sendAt + e.leadTimeMs).toBeLessThanOrEqual(T);
    }
    expect(scheduledSends(entries)).toHaveLength(3);
  });

  it('sends at once when the tail does not fit but the slowest member can still make T', () => {
    const T = NOW + 205;
    const { entries, holdSendAt } = schedule({ targetMs: T, nowMs: NOW, mode: 'hold', agents });
    expect(holdSendAt).toBe(NOW);
    expect(scheduledSends(entries)).toHaveLength(3);
  });

  it('sends at once when the margin does not fit but the slowest member still does', () => {
    const T = NOW + holdLead('slowest') + 5;
    const { entries, holdSendAt } = schedule({ targetMs: T, nowMs: NOW, mode: 'hold', agents });
    expect(holdSendAt).toBe(NOW);
    expect(scheduledSends(entries).map((e) => e.sendAt)).toEqual([NOW, NOW, NOW]);
  });

  it('skips a member that cannot finish by T even at the group send time, and times the rest without it', () => {
    const T = NOW + 150;
    const { entries, holdSendAt } = schedule({ targetMs: T, nowMs: NOW, mode: 'hold', agents });
    // Whether it can make T at all is judged on its expected lead time (40 + 158 + 2).
    expect(byId(entries, 'slowest')).toMatchObject({ status: 'SKIP', reason: 'insufficient_lead_time', wouldNeedMs: 200, availableMs: 150 });
    expect(holdSendAt).toBe(T - holdLead('middle') - 10);
    expect(scheduledSends(entries).map((e) => e.agentId)).toEqual(['quick', 'middle']);
  });
});

describe('computeSendSchedule: none and auto', () => {
  it('none sends everyone now and expects them ready when processing ends', () => {
    const agents = [agent('a', { oneWayDelayMs: 3, expectedProcessingMs: 20 }), agent('b', { oneWayDelayMs: 30, expectedProcessingMs: 100 })];
    const { entries, holdSendAt } = schedule({ targetMs: NOW + 400, nowMs: NOW, mode: 'none', agents });
    expect(holdSendAt).toBeNull();
    expect(scheduledSends(entries).map((e) => [e.sendAt, e.expectedReadyAt])).toEqual([
      [NOW, NOW + 23],
      [NOW, NOW + 130],
    ]);
  });

  it('auto picks per agent the best mode it supports: hold, then lead, then none', () => {
    const agents = [
      agent('everything'),
      agent('lead-or-none', { supportedModes: ['none', 'lead'] }),
      agent('baseline-only', { supportedModes: ['none'] }),
      agent('nothing', { supportedModes: [] }),
    ];
    const { entries } = schedule({ targetMs: NOW + 500, nowMs: NOW, mode: 'auto', agents });
    expect(entries.map((e) => (e.status === 'SCHEDULED' ? e.mode : e.reason))).toEqual(['hold', 'lead', 'none', 'unsupported_mode']);
    expect(byId(entries, 'nothing')).toMatchObject({ mode: null, wouldNeedMs: 62, availableMs: 500 });
  });

  it('an explicit mode the agent lacks is unsupported_mode, naming the mode', () => {
    const { entries } = schedule({ targetMs: NOW + 500, nowMs: NOW, mode: 'hold', agents: [agent('x', { supportedModes: ['lead'] })] });
    expect(entries[0]).toMatchObject({ status: 'SKIP', reason: 'unsupported_mode', mode: 'hold' });
  });
});

describe('computeSendSchedule: refusals', () => {
  it('skips an unusable timing record without failing the rest', () => {
    const { entries } = schedule({ targetMs: NOW + 500, nowMs: NOW, mode: 'lead', agents: [agent('bad', { oneWayDelayMs: -5 }), agent('good')] });
    expect(entries[0]).toEqual({ status: 'SKIP', agentId: 'bad', mode: null, reason: 'invalid_timing', wouldNeedMs: null, availableMs: 500 });
    expect(entries[1]?.status).toBe('SCHEDULED');
  });

  it.each([
    ['targetMs', { targetMs: Number.NaN }],
    ['nowMs', { nowMs: Infinity }],
    ['mode', { mode: 'fastest' as never }],
    ['agents.1.agentId', { agents: [agent('twin'), agent('twin')] }],
  ])('refuses a bad request, naming %s', (path, over) => {
    const result = computeSendSchedule({ targetMs: NOW + 500, nowMs: NOW, mode: 'lead', agents: [], ...over });
    expect(result.ok ? undefined : [result.error.code, result.error.path]).toEqual(['INVALID_ARGUMENT', path]);
  });

  it('refuses a negative hold margin', () => {
    const result = computeSendSchedule({ targetMs: NOW + 500, nowMs: NOW, mode: 'hold', agents: [] }, { holdMarginMs: -1 });
    expect(result.ok).toBe(false);
  });
});
