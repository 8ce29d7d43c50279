import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import { QUORUM_DEFAULTS, countTrinary, trinaryQuorum, type QuorumDecision } from './trinary-quorum.js';

/** The spec's rule restated as a decision table, written apart from the implementation. */
function referenceDecision(
  ready: number,
  transit: number,
  conflict: number,
  t: { requiredReadyRate: number; maxConflictRate: number; maxTransitRate: number },
): QuorumDecision {
  const n = ready + transit + conflict;
  if (n === 0) return 'RETRY';
  const table: Record<string, QuorumDecision> = {};
  for (const enough of [true, false]) {
    for (const conflictsOk of [true, false]) {
      for (const transitHigh of [true, false]) {
        const key = `${enough}/${conflictsOk}/${transitHigh}`;
        if (enough && conflictsOk) table[key] = 'PROCEED';
        else if (!enough && transitHigh) table[key] = 'WAIT';
        else if (!conflictsOk) table[key] = 'RESOLVE_CONFLICTS';
        else table[key] = 'RETRY';
      }
    }
  }
  const key = `${ready / n >= t.requiredReadyRate}/${conflict / n <= t.maxConflictRate}/${transit / n > t.maxTransitRate}`;
  return table[key]!;
}

const rate = fc.double({ min: 0, max: 1, noNaN: true });

describe('trinaryQuorum', () => {
  it('PROCEEDs with 95 ready, 3 conflicts and 2 in transit out of 100', () => {
    const r = trinaryQuorum({ ready: 95, transit: 2, conflict: 3 });
    expect(r.decision).toBe('PROCEED');
    expect(r.achieved).toBe(true);
    expect(r.confidence).toBeCloseTo(0.95 - 0.5 * 0.03, 12);
    expect(r.counts).toEqual({ ready: 95, transit: 2, conflict: 3, total: 100, unanswered: 0 });
  });

  it('counts agents that never answered as in transit', () => {
    const r = trinaryQuorum({ ready: 80, transit: 0, conflict: 0, expected: 100 });
    expect(r.counts.transit).toBe(20);
    expect(r.counts.unanswered).toBe(20);
    expect(r.rates.transit).toBeCloseTo(0.2, 12);
    expect(r.decision).toBe('WAIT');
  });

  it('asks to resolve conflicts when conflicts exceed the limit but transit is low', () => {
    const r = trinaryQuorum({ ready: 90, transit: 2, conflict: 8 });
    expect(r.decision).toBe('RESOLVE_CONFLICTS');
    expect(r.reason).toContain('8.0%');
  });

  it('prefers WAIT over RESOLVE_CONFLICTS when both transit and conflicts are high (spec order)', () => {
    expect(trinaryQuorum({ ready: 70, transit: 20, conflict: 10 }).decision).toBe('WAIT');
  });

  it('RETRYs when ready is short but neither transit nor conflicts are over their limits', () => {
    const r = trinaryQuorum({ ready: 88, transit: 8, conflict: 4 });
    expect(r.decision).toBe('RETRY');
    expect(r.confidence).toBe(0);
  });

  it('does not PROCEED when enough are ready but conflicts are too many', () => {
    const r = trinaryQuorum({ ready: 95, transit: 0, conflict: 5 }, { maxConflictRate: 0.04 });
    expect(r.decision).toBe('RESOLVE_CONFLICTS');
  });

  it('treats exactly the required ready rate as enough', () => {
    expect(trinaryQuorum({ ready: 19, transit: 1, conflict: 0 }).decision).toBe('PROCEED');
    expect(trinaryQuorum({ ready: 18, transit: 1, conflict: 1 }, { requiredReadyRate: 0.9 }).decision).toBe('PROCEED');
  });

  it('returns RETRY, not achieved, for an empty target set', () => {
    const r = trinaryQuorum({ ready: 0, transit: 0, conflict: 0 });
    expect(r.decision).toBe('RETRY');
    expect(r.achieved).toBe(false);
    expect(r.rates).toEqual({ ready: 0, transit: 0, conflict: 0 });
    expect(r.recommendation).toMatch(/target/);
  });

  it('rejects bad counts and thresholds with INVALID_ARGUMENT', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof MeshError ? e.code : 'not a MeshError';
      }
      return undefined;
    };
    expect(codeOf(() => trinaryQuorum({ ready: -1, transit: 0, conflict: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => trinaryQuorum({ ready: 1.5, transit: 0, conflict: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => trinaryQuorum({ ready: 5, transit: 0, conflict: 0, expected: 4 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => trinaryQuorum({ ready: 5, transit: 0, conflict: 0 }, { maxTransitRate: 1.2 }))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('tallies trinary states', () => {
    expect(countTrinary([1, 1, 0, -1, 1, 0])).toEqual({ ready: 3, transit: 2, conflict: 1 });
  });

  it('exports the spec thresholds as defaults', () => {
    expect(QUORUM_DEFAULTS).toEqual({ requiredReadyRate: 0.95, maxConflictRate: 0.05, maxTransitRate: 0.1 });
  });

  it('property: the decision matches the reference rule for every mix of states and thresholds', () => {
    fc.assert(
      fc.property(
        fc.nat(200),
        fc.nat(200),
        fc.nat(200),
        fc.nat(50),
        fc.record({ requiredReadyRate: rate, maxConflictRate: rate, maxTransitRate: rate }),
        (ready, transit, conflict, silent, t) => {
          const r = trinaryQuorum({ ready, transit, conflict, expected: ready + transit + conflict + silent }, t);
          const expected = referenceDecision(ready, transit + silent, conflict, t);
          expect(r.decision).toBe(expected);
          expect(r.achieved).toBe(expected === 'PROCEED');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: PROCEED iff enough ready and conflicts acceptable, with confidence in [0, 1]', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(100), fc.nat(100), (ready, transit, conflict) => {
        const n = ready + transit + conflict;
        fc.pre(n > 0);
        const r = trinaryQuorum({ ready, transit, conflict });
        const holds = ready / n >= 0.95 && conflict / n <= 0.05;
        expect(r.decision === 'PROCEED').toBe(holds);
        if (holds) {
          expect(r.confidence).toBeCloseTo(ready / n - 0.5 * (conflict / n), 12);
          expect(r.confidence).toBeGreaterThanOrEqual(0);
          expect(r.confidence).toBeLessThanOrEqual(1);
        } else {
          expect(r.confidence).toBe(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
