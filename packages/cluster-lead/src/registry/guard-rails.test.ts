import { describe, expect, it } from 'vitest';
import { beat, harness } from './registry.test-helper.js';

const GUARD = { restartGraceMs: 0, timeoutFactor: 2, lagThresholdMs: 200, lagGraceMs: 30_000, backlogThreshold: 100 };

describe('guard rails: the lead as the slow part', () => {
  it('counts an ingest backlog at the threshold as its own impairment, with the lag grace after it', () => {
    const h = harness({}, GUARD);
    let backlog = 0;
    h.guard.watchBacklog(() => backlog);
    expect(h.guard.read()).toMatchObject({ factor: 1, reasons: [], lastBacklog: 0 });
    expect(h.guard.impairedNow()).toBeNull();

    backlog = 100;
    expect(h.guard.read()).toMatchObject({ factor: 2, reasons: ['ingest-backlog'], lastBacklog: 100 });
    expect(h.guard.impairedNow()).toBe('ingest-backlog');

    backlog = 0;
    h.clock.advance(29_000);
    expect(h.guard.read().reasons).toEqual(['ingest-backlog']);
    h.clock.advance(1_000);
    expect(h.guard.read()).toMatchObject({ factor: 1, reasons: [] });
    expect(h.guard.impairedNow()).toBeNull();
    // Work sent during the backlog is still excused afterwards (blame.ts).
    expect(h.guard.leadImpairedSince(h.clock.now() - 31_000)).toBe('ingest-backlog');
  });

  it('counts beats it shed since the last reading as the backlog\'s doing, below the threshold too', () => {
    const h = harness({}, GUARD);
    let shed = 40;
    h.guard.watchBacklog(() => 0, () => shed);
    // Shed before watching started is not held against this reading.
    expect(h.guard.read()).toMatchObject({ factor: 1, reasons: [] });
    shed = 41;
    expect(h.guard.read()).toMatchObject({ factor: 2, reasons: ['ingest-backlog'], lastBacklog: 0 });
    h.clock.advance(30_000);
    expect(h.guard.read()).toMatchObject({ factor: 1, reasons: [] });
  });

  it('does not degrade agents for latency swings while its own event loop lags', () => {
    const h = harness({}, GUARD);
    const fleet = ['pi-1', 'pi-2', 'pi-3'];
    for (let i = 0; i < 6; i++) beat(h, fleet, {}, { impedance_score: 200, current_latency_ms: 20 });

    // The lead lags: every agent's round trip (and so its impedance) swings at once.
    h.lag.lagMs = 900;
    h.guard.read();
    expect(h.guard.impairedNow()).toBe('event-loop-lag');
    for (let i = 0; i < 3; i++) beat(h, fleet, {}, { impedance_score: 900, current_latency_ms: 700 });
    for (const id of fleet) expect(h.registry.get(id)).toMatchObject({ state: 'active', anomalies: { spike: false } });
    expect(h.events.filter((e) => e.name === 'impedance.spike')).toHaveLength(0);

    // Once the lead is well again, a swing of one agent is that agent's, judged against a
    // baseline the lagging beats did not move.
    h.lag.lagMs = 0;
    h.clock.advance(30_000);
    h.guard.read();
    expect(h.guard.impairedNow()).toBeNull();
    beat(h, ['pi-1'], {}, { impedance_score: 520, current_latency_ms: 20 });
    beat(h, ['pi-2', 'pi-3'], {}, { impedance_score: 200, current_latency_ms: 20 });
    expect(h.registry.get('pi-1')).toMatchObject({ state: 'degraded', anomalies: { spike: true } });
    expect(h.registry.get('pi-2')).toMatchObject({ state: 'active' });
  });
});
