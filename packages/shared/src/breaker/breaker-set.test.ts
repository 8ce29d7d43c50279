import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { MeshError } from '../lib/errors.js';
import { BREAKER_SET_DEFAULTS, BreakerSet, type AgentLocation, type BreakerSetEvent } from './breaker-set.js';
import { BREAKER_EVENTS } from './events.js';

const at = (clusterId: string, sectorId: string): AgentLocation => ({ clusterId, sectorId });

function fail(set: BreakerSet, loc: AgentLocation, n: number): BreakerSetEvent[] {
  return Array.from({ length: n }, () => set.recordFailure(loc)).flat();
}

/** Trips `count` sectors, spreading failures over clusters so each sector passes its own limit. */
function tripSectors(set: BreakerSet, count: number, perSector = 51): BreakerSetEvent[] {
  const events: BreakerSetEvent[] = [];
  for (let s = 0; s < count; s++) {
    for (let i = 0; i < perSector; i++) events.push(...set.recordFailure(at(`s${s}-c${i % 20}`, `s${s}`)));
  }
  return events;
}

describe('BreakerSet', () => {
  it('trips a cluster above 5 failures, leaving its sector and sibling clusters routable', () => {
    const set = new BreakerSet(new ManualClock(0));
    expect(fail(set, at('c1', 's1'), 5)).toEqual([]);
    const events = set.recordFailure(at('c1', 's1'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ scope: 'cluster', targetId: 'c1', name: BREAKER_EVENTS.opened, from: 'closed', to: 'open' });
    expect(set.isRoutable(at('c1', 's1'))).toBe(false);
    expect(set.isRoutable(at('c2', 's1'))).toBe(true);
    expect(set.admit(at('c1', 's1'))).toBe(false);
  });

  it('trips a sector above 50 failures summed over its clusters, blocking every cluster in it', () => {
    const set = new BreakerSet(new ManualClock(0), { cluster: { tripAbove: 1_000 } });
    for (let i = 0; i < 50; i++) expect(set.recordFailure(at(`c${i}`, 's1'))).toEqual([]);
    const [e] = set.recordFailure(at('c50', 's1'));
    expect(e).toMatchObject({ scope: 'sector', targetId: 's1', to: 'open' });
    expect(set.isRoutable(at('never-failed', 's1'))).toBe(false);
    expect(set.isRoutable(at('c0', 's2'))).toBe(true);
  });

  it('opens the global breaker when more than 10 sectors are open, and closes it as they recover', () => {
    const clock = new ManualClock(0);
    const set = new BreakerSet(clock);
    expect(tripSectors(set, 10).filter((e) => e.scope === 'global')).toEqual([]);
    expect(set.openSectors()).toBe(10);
    const events = tripSectors(set, 11).filter((e) => e.scope === 'global');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ targetId: 'global', name: BREAKER_EVENTS.opened, to: 'open' });
    expect(set.globalBreakerState()).toBe('open');
    expect(set.isRoutable(at('elsewhere', 'healthy-sector'))).toBe(false);

    // Probes bring sectors back to half-open one by one; global closes at 5 open sectors.
    clock.advance(30_000);
    const due = set.dueProbes().filter((t) => t.scope === 'sector');
    expect(due).toHaveLength(11);
    let closedAt = -1;
    due.forEach((t, i) => {
      const ev = set.recordProbe(t, true);
      if (ev.some((e) => e.scope === 'global' && e.to === 'closed')) closedAt = i;
    });
    expect(closedAt).toBe(5); // after the 6th probe, 11 - 6 = 5 sectors remain open
    expect(set.isRoutable(at('elsewhere', 'healthy-sector'))).toBe(true);
  });

  it('admits limited trials through a half-open cluster', () => {
    const clock = new ManualClock(0);
    const set = new BreakerSet(clock, { cluster: { halfOpenMaxTrials: 2 } });
    fail(set, at('c1', 's1'), 6);
    expect(set.nextCheckAt()).toBe(30_000);
    clock.set(30_000);
    expect(set.dueProbes()).toEqual([{ scope: 'cluster', targetId: 'c1' }]);
    expect(set.recordProbe({ scope: 'cluster', targetId: 'c1' }, true)[0]).toMatchObject({ to: 'half-open' });
    expect(set.admit(at('c1', 's1'))).toBe(true);
    expect(set.admit(at('c1', 's1'))).toBe(true);
    expect(set.isRoutable(at('c1', 's1'))).toBe(false);
    expect(set.admit(at('c1', 's1'))).toBe(false);
    clock.set(90_000);
    expect(set.tick()).toMatchObject([{ scope: 'cluster', targetId: 'c1', from: 'half-open', to: 'closed', at: 90_000 }]);
    expect(set.admit(at('c1', 's1'))).toBe(true);
  });

  it('re-opens a cluster whose probe fails with a longer wait', () => {
    const clock = new ManualClock(0);
    const set = new BreakerSet(clock);
    fail(set, at('c1', 's1'), 6);
    clock.set(30_000);
    const [e] = set.recordProbe({ scope: 'cluster', targetId: 'c1' }, false);
    expect(e).toMatchObject({ kind: 'extended', nextCheckAt: 90_000 });
    expect(set.isRoutable(at('c1', 's1'))).toBe(false);
  });

  it('lists global, sector and cluster states for display', () => {
    const set = new BreakerSet(new ManualClock(0));
    fail(set, at('c1', 's1'), 6);
    set.recordSuccess(at('c2', 's1'));
    const rows = set.states().map((r) => [r.scope, r.targetId, r.state, r.failuresInWindow]);
    expect(rows).toEqual([
      ['global', 'global', 'closed', 0],
      ['sector', 's1', 'closed', 6],
      ['cluster', 'c1', 'open', 0],
      ['cluster', 'c2', 'closed', 0],
    ]);
  });

  it('in metrics-only mode reports would-* at every scope and keeps everything routable', () => {
    const set = new BreakerSet(new ManualClock(0), { metricsOnly: true });
    const events = tripSectors(set, 11, 120); // 6 failures per cluster: clusters trip too
    const names = new Set(events.map((e) => `${e.scope}:${e.name}`));
    expect(names).toEqual(
      new Set([`cluster:${BREAKER_EVENTS.wouldOpen}`, `sector:${BREAKER_EVENTS.wouldOpen}`, `global:${BREAKER_EVENTS.wouldOpen}`]),
    );
    expect(events.every((e) => e.shadow)).toBe(true);
    expect(set.globalBreakerState()).toBe('open');
    expect(set.isRoutable(at('s0-c0', 's0'))).toBe(true);
    expect(set.admit(at('s0-c0', 's0'))).toBe(true);
  });

  it('holds an operator-opened global breaker until the operator closes it', () => {
    const set = new BreakerSet(new ManualClock(0));
    expect(set.apply('global', 'global', 'OPEN', 'drill')).toMatchObject([{ scope: 'global', to: 'open', reason: 'drill' }]);
    expect(set.recordSuccess(at('c1', 's1'))).toEqual([]);
    expect(set.isRoutable(at('c1', 's1'))).toBe(false);
    expect(set.apply('global', 'global', 'CLOSE')).toMatchObject([{ scope: 'global', to: 'closed' }]);
    expect(set.isRoutable(at('c1', 's1'))).toBe(true);
    expect(() => set.apply('global', 'global', 'HALF_OPEN')).toThrow(MeshError);
  });

  it('applies operator actions to one cluster or sector', () => {
    const set = new BreakerSet(new ManualClock(0));
    expect(set.apply('sector', 's9', 'OPEN')).toMatchObject([{ scope: 'sector', targetId: 's9', to: 'open' }]);
    expect(set.isRoutable(at('c1', 's9'))).toBe(false);
    set.apply('sector', 's9', 'CLOSE');
    expect(set.isRoutable(at('c1', 's9'))).toBe(true);
  });

  it('rejects inconsistent global limits', () => {
    expect(() => new BreakerSet(new ManualClock(0), { globalRecoverAtOrBelowSectors: 11 })).toThrow(MeshError);
    expect(() => new BreakerSet(new ManualClock(0), { cluster: { openDurationMs: -1 } })).toThrow(MeshError);
  });

  it('exports the spec thresholds', () => {
    expect(BREAKER_SET_DEFAULTS).toMatchObject({ clusterTripAbove: 5, sectorTripAbove: 50, globalTripAboveSectors: 10 });
  });

  it('property: an agent behind any open breaker is never routable', () => {
    const loc = fc.record({ clusterId: fc.constantFrom('c1', 'c2', 'c3'), sectorId: fc.constantFrom('s1', 's2') });
    const op = fc.oneof(
      loc.map((l) => ({ t: 'fail' as const, l })),
      loc.map((l) => ({ t: 'ok' as const, l })),
      loc.map((l) => ({ t: 'admit' as const, l })),
      fc.integer({ min: 0, max: 70_000 }).map((ms) => ({ t: 'advance' as const, ms })),
      fc.boolean().map((success) => ({ t: 'probe' as const, success })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const clock = new ManualClock(0);
        const set = new BreakerSet(clock, {
          cluster: { tripAbove: 2 },
          sector: { tripAbove: 4 },
          globalTripAboveSectors: 1,
          globalRecoverAtOrBelowSectors: 0,
        });
        for (const o of ops) {
          switch (o.t) {
            case 'fail':
              set.recordFailure(o.l);
              break;
            case 'ok':
              set.recordSuccess(o.l);
              break;
            case 'admit':
              set.admit(o.l);
              break;
            case 'advance':
              clock.advance(o.ms);
              set.tick();
              break;
            case 'probe':
              for (const t of set.dueProbes()) set.recordProbe(t, o.success);
              break;
          }
          const open = new Set(set.states().filter((r) => r.state === 'open').map((r) => `${r.scope}:${r.targetId}`));
          for (const c of ['c1', 'c2', 'c3']) {
            for (const s of ['s1', 's2']) {
              const blocked = open.has('global:global') || open.has(`sector:${s}`) || open.has(`cluster:${c}`);
              if (blocked) expect(set.isRoutable(at(c, s))).toBe(false);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
