import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeSendSchedule } from './send-schedule.js';
import { chooseTargetTime, validateTargetTime } from './target-time.js';
import { agent, agentsArb } from './timing.test-helper.js';

const NOW = 1.75e12;
// Lead-mode lead times are the median ones: delay + processing, no buffer.
const quick = agent('quick', { oneWayDelayMs: 2, expectedProcessingMs: 20 }); // lead 22
const pi = agent('pi', { oneWayDelayMs: 8, expectedProcessingMs: 150 }); // lead 158
const human = agent('human', { oneWayDelayMs: 40, expectedProcessingMs: 60_000 }); // lead 60040

describe('chooseTargetTime', () => {
  it('leaves the slowest agent its lead time plus scheduling slack', () => {
    const result = chooseTargetTime({ nowMs: NOW, agents: [quick, pi] });
    expect(result.ok && result.value).toMatchObject({ targetMs: NOW + 163, availableMs: 163, requiredLeadMs: 158, capped: false, lateAgentIds: [] });
    // And says why: pi's lead time, in lead mode, with its parts.
    expect(result.ok && result.value.setBy).toEqual({ agentId: 'pi', mode: 'lead', lead: { oneWayDelayMs: 8, expectedProcessingMs: 150, bufferMs: 0, leadTimeMs: 158 } });
  });

  it('in hold mode sizes T from each agent\'s tail, which a later T costs nothing for', () => {
    const spread = { ...pi, jitterMs: 3, processingSpreadMs: 40 };
    const lead = chooseTargetTime({ nowMs: NOW, agents: [quick, spread] });
    const hold = chooseTargetTime({ nowMs: NOW, agents: [quick, spread] }, { mode: 'hold', arrivalWindowMs: 5_000 });
    if (!lead.ok || !hold.ok) throw new Error('refused');
    expect(hold.value.setBy).toMatchObject({ agentId: 'pi', mode: 'hold' });
    expect(hold.value.setBy!.lead.oneWayDelayMs).toBeCloseTo(8 + 3.09 * 3, 9);
    expect(hold.value.targetMs).toBeGreaterThan(lead.value.targetMs);
    // An agent without hold falls back to its lead-mode lead time.
    const noHold = chooseTargetTime({ nowMs: NOW, agents: [{ ...spread, supportedModes: ['lead'] }] }, { mode: 'hold' });
    expect(noHold.ok && noHold.value.setBy?.mode).toBe('lead');
  });

  it('is capped by the arrival window, listing who will miss it', () => {
    const result = chooseTargetTime({ nowMs: NOW, agents: [quick, pi, human] }, { arrivalWindowMs: 500 });
    expect(result.ok && result.value).toMatchObject({ targetMs: NOW + 500, capped: true, requiredLeadMs: 60_040, lateAgentIds: ['human'] });
  });

  it('with coverage below 1 waits only for that share of agents', () => {
    const result = chooseTargetTime({ nowMs: NOW, agents: [quick, pi, human] }, { coverage: 0.6, arrivalWindowMs: 120_000 });
    expect(result.ok && result.value).toMatchObject({ requiredLeadMs: 158, lateAgentIds: ['human'], capped: false });
  });

  it('agrees with the scheduler on who is late, to the last bit', () => {
    fc.assert(
      fc.property(agentsArb, fc.double({ min: 0, max: 100_000, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), (agents, window, slack) => {
        const everyMode = agents.map((a) => ({ ...a, supportedModes: ['lead' as const] }));
        const choice = chooseTargetTime({ nowMs: NOW, agents: everyMode }, { arrivalWindowMs: window, schedulingSlackMs: slack });
        if (!choice.ok) throw choice.error;
        expect(choice.value.targetMs - NOW).toBeLessThanOrEqual(window + 1e-3);
        const plan = computeSendSchedule({ targetMs: choice.value.targetMs, nowMs: NOW, mode: 'lead', agents: everyMode });
        if (!plan.ok) throw plan.error;
        const skipped = plan.value.entries.filter((e) => e.status === 'SKIP').map((e) => e.agentId);
        expect(choice.value.lateAgentIds).toEqual(skipped);
        if (!choice.value.capped) expect(skipped).toEqual([]);
      }),
    );
  });

  it('nudges T up when now + lead rounds down across a power of two', () => {
    // Below 2^41 the float spacing is 2^-12 ms, above it 2^-11: now + lead rounds down to 2^41.
    const nowMs = 2 ** 41 - 1;
    const edge = agent('edge', { oneWayDelayMs: 1 + 2 ** -12, expectedProcessingMs: 0 });
    const options = { schedulingSlackMs: 0, bufferFloorMs: 0 };
    const choice = chooseTargetTime({ nowMs, agents: [edge] }, options);
    if (!choice.ok) throw choice.error;
    expect(choice.value.lateAgentIds).toEqual([]);
    const plan = computeSendSchedule({ targetMs: choice.value.targetMs, nowMs, mode: 'lead', agents: [edge] }, options);
    expect(plan.ok && plan.value.entries[0]?.status).toBe('SCHEDULED');
  });

  it('with no agents is just the slack away', () => {
    expect(chooseTargetTime({ nowMs: NOW, agents: [] })).toMatchObject({ ok: true, value: { targetMs: NOW + 5, requiredLeadMs: 0 } });
  });

  it('refuses bad options', () => {
    const result = chooseTargetTime({ nowMs: NOW, agents: [] }, { coverage: 0 });
    expect(result.ok ? undefined : result.error.path).toBe('coverage');
  });
});

describe('validateTargetTime', () => {
  it('accepts a future T and lists the agents it is too close for', () => {
    const result = validateTargetTime({ targetMs: NOW + 100, nowMs: NOW, agents: [quick, pi] });
    expect(result).toEqual({ ok: true, value: { targetMs: NOW + 100, availableMs: 100, requiredLeadMs: 158, capped: false, lateAgentIds: ['pi'] } });
  });

  it.each([
    ['in the past', NOW - 1],
    ['beyond the horizon', NOW + 25 * 3600_000],
    ['not finite', Number.NaN],
  ])('refuses a T %s', (_label, targetMs) => {
    const result = validateTargetTime({ targetMs, nowMs: NOW, agents: [quick] });
    expect(result.ok ? undefined : [result.error.code, result.error.path]).toEqual(['INVALID_ARGUMENT', 'targetMs']);
  });
});
