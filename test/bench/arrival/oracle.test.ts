import { describe, expect, it } from 'vitest';
import { oracleFigures, type TruthLine } from './oracle.js';
import { scenarioChecks, scenariosFrom, runLabel } from './scenarios.js';
import type { MeasuredOperation } from './stats.js';
import { checkTargets } from './targets.js';

const T = 10_000;
const op = (operationId: string, mode: string): MeasuredOperation => ({ operationId, mode, targetTime: T, targeted: 3, succeeded: true });
/** A lead-mode release `error` ms from T, sent with `planned` ms of lead where the truth said delay + processing. */
const line = (operation_id: string, agent_id: string, error: number, planned: number, delay = 20, processing = 100): TruthLine => ({
  operation_id, agent_id, mode: 'lead', ready_true_ms: T + error, offset_error_ms: 0,
  planned_lead_ms: planned, true_one_way_median_ms: delay, true_processing_median_ms: processing,
});

describe('oracle row', () => {
  it('shifts each release by the lead\'s planned lead time minus the truth\'s: same draws, the oracle\'s send time', () => {
    // Sent 30 ms too early (planned 150 against a true 120): READY 25 ms early; the oracle would have been 5 ms late.
    const lines = [line('l1', 'a', -25, 150), line('l1', 'b', 4, 120), line('l1', 'c', 12, 110)];
    const f = oracleFigures([op('l1', 'lead')], lines)!;
    expect(f.n).toBe(3);
    expect(f.lead.abs.max).toBe(25);
    expect(f.oracle.abs.max).toBe(5);
    // Errors: a 5, b 4, c 12 - 10 = 2.
    expect(f.oracle.abs.p50).toBe(4);
    expect(f.leadGap.signedP50).toBe(0);
  });

  it('separates what the processing draw explains from the rest (link jitter, the machine\'s lateness)', () => {
    // The oracle is 15 ms late; the draw was 10 ms above the median: 5 ms is the rest.
    const f = oracleFigures([op('l1', 'lead')], [{ ...line('l1', 'a', 15, 120), processing_ms: 110 }])!;
    expect(f.oracle.signedP50).toBe(15);
    expect(f.rest).toMatchObject({ n: 1, p50: 5 });
    // Sent 2 ms after its planned send (T - 120): 2 ms of the rest is the lead's, 3 ms came after.
    const split = oracleFigures([op('l1', 'lead')], [{ ...line('l1', 'a', 15, 120), processing_ms: 110 }], new Map([['l1', new Map([['a', T - 118]])]]))!;
    expect(split.sendLateness).toMatchObject({ n: 1, p50: 2 });
    expect(split.afterSend).toMatchObject({ n: 1, p50: 3 });
  });

  it('uses only measured lead-mode operations, once per agent, and counts releases without the truth apart', () => {
    const lines = [
      line('l1', 'a', 3, 120),
      line('l1', 'a', 99, 120), // a duplicate: ignored
      line('h1', 'a', 0, 120), // hold mode: not the lead's prediction
      { ...line('l1', 'b', 1, 120), true_one_way_median_ms: undefined }, // a gateway link: the sim cannot know it
    ];
    const f = oracleFigures([op('l1', 'lead'), op('h1', 'hold')], lines)!;
    expect(f.n).toBe(1);
    expect(f.withoutTruth).toBe(1);
    expect(oracleFigures([op('h1', 'hold')], lines)).toBeNull();
  });
});

describe('scenarios', () => {
  it('runs both by default and refuses an unknown one', () => {
    expect(scenariosFrom(undefined)).toEqual(['independent', 'realistic']);
    expect(scenariosFrom('realistic')).toEqual(['realistic']);
    expect(() => scenariosFrom('gaussian')).toThrow(/unknown processing scenario gaussian/);
    expect(runLabel('lan', 'independent')).toBe('lan');
    expect(runLabel('lan', 'realistic')).toBe('lan (realistic)');
  });

  const lead = {
    mode: 'lead', operations: 1, arrivalAbs: { n: 3, p50: 30, p90: 60, p99: 70, max: 70 }, arrivalSignedP50: 0, offsetAbs: { n: 3, p50: 1, p90: 1, p99: 1, max: 1 }, offsetSignedP50: 0,
    hitRate: 0.5, successRate: 1, within50msRate: 0.5, missing: 0, stragglers: 0,
  };
  const figures = { profile: 'lan', halfAsymmetryMs: 0, modes: [lead] };

  it('judges the spec\'s lead KPI on the realistic scenario only, and the oracle gap on both', () => {
    const oracle = oracleFigures([op('l1', 'lead')], [line('l1', 'a', 60, 120), line('l1', 'b', 50, 120)])!;
    const independent = scenarioChecks(checkTargets(figures), 'independent', oracle, 'lan');
    expect(independent.some((c) => c.metric === 'spec KPI: within 50 ms of T')).toBe(false);
    const realistic = scenarioChecks(checkTargets(figures), 'realistic', oracle, 'lan (realistic)');
    expect(realistic.find((c) => c.metric === 'spec KPI: within 50 ms of T')).toMatchObject({ profile: 'lan (realistic)', met: false });
    for (const checks of [independent, realistic]) {
      expect(checks.find((c) => c.metric.startsWith('lead p90 vs oracle'))).toMatchObject({ met: true });
    }
  });

  it('misses the oracle check, never passes it, when nothing carried the truth', () => {
    const checks = scenarioChecks(checkTargets(figures), 'realistic', null, 'lan');
    expect(checks.find((c) => c.metric.startsWith('lead p90 vs oracle'))).toMatchObject({ met: false, note: expect.stringContaining('truth') });
  });
});
