import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import { AgentClass } from '../protocol/enums.js';
import { classPriorMs } from './class-prior.js';
import { DEFAULT_FULL_TRUST_SAMPLES, ProcessingEstimator } from './processing-estimator.js';

/** The spec's estimate_processing_time, transcribed independently. */
const SPEC_BASE = { A: 10, B: 50, C: 200, D: 100, E: 150, F: 60000 } as const;
const specFormula = (c: AgentClass, w: number, q: number) => SPEC_BASE[c] * (1 + w * 0.5) * (1 + q * 0.1);

describe('class prior', () => {
  it('equals the spec formula exactly for every class and condition (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...AgentClass.options),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.integer({ min: 0, max: 10_000 }),
        (c, w, q) => {
          expect(classPriorMs(c, w, q)).toBe(specFormula(c, w, q));
        },
      ),
    );
  });

  it('rejects negative conditions', () => {
    expect(() => classPriorMs('A', -1, 0)).toThrow(MeshError);
    expect(() => classPriorMs('A', 0, Number.NaN)).toThrow(MeshError);
  });
});

describe('ProcessingEstimator', () => {
  it('returns exactly the spec formula with no samples (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...AgentClass.options),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(undefined, 'act' as const, 'sync' as const),
        (c, w, q, verb) => {
          const e = new ProcessingEstimator(c).estimate({ verb, payloadWeight: w, queueDepth: q });
          expect(e.expectedMs).toBe(specFormula(c, w, q));
          expect(e.source).toBe('prior');
          expect(e.basis).toBe('class');
          expect(e.samples).toBe(0);
          expect(e.spreadMs).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('blends while samples accumulate, then uses the measured mean', () => {
    const est = new ProcessingEstimator('E'); // prior 150 ms
    est.record(40, { verb: 'observe' });
    const early = est.estimate({ verb: 'observe' });
    expect(early.source).toBe('blended');
    expect(early.expectedMs).toBeLessThan(150);
    expect(early.expectedMs).toBeGreaterThan(40);
    for (let i = 1; i < DEFAULT_FULL_TRUST_SAMPLES; i++) est.record(i % 2 === 0 ? 36 : 44, { verb: 'observe' });
    const late = est.estimate({ verb: 'observe' });
    expect(late.source).toBe('learned');
    expect(late.samples).toBe(DEFAULT_FULL_TRUST_SAMPLES);
    const rest = Array.from({ length: DEFAULT_FULL_TRUST_SAMPLES - 1 }, (_, k) => ((k + 1) % 2 === 0 ? 36 : 44));
    const measured = [40, ...rest];
    const mean = measured.reduce((a, b) => a + b, 0) / measured.length;
    expect(late.expectedMs).toBeCloseTo(mean, 9);
    const sd = Math.sqrt(measured.reduce((a, b) => a + (b - mean) ** 2, 0) / measured.length);
    expect(late.spreadMs).toBeCloseTo(sd, 9);
  });

  it('moves monotonically from prior toward the measurements as samples grow', () => {
    const est = new ProcessingEstimator('C'); // prior 200
    let previous = est.estimate().expectedMs;
    for (let i = 0; i < DEFAULT_FULL_TRUST_SAMPLES; i++) {
      est.record(80);
      const now = est.estimate().expectedMs;
      expect(now).toBeLessThan(previous);
      previous = now;
    }
    expect(previous).toBeCloseTo(80, 9);
  });

  it('converges to a new level after the agent changes speed', () => {
    const est = new ProcessingEstimator('B');
    for (let i = 0; i < 100; i++) est.record(50, { verb: 'act' });
    for (let i = 0; i < 400; i++) est.record(120, { verb: 'act' });
    // 400 samples are 8 half-lives: the old level keeps 1/256 of its weight, 70/256 ms.
    const gap = 120 - est.estimate({ verb: 'act' }).expectedMs;
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThanOrEqual(70 / 256 + 1e-9);
  });

  it('learns verbs separately and falls back to the all-verb estimate', () => {
    const est = new ProcessingEstimator('D');
    for (let i = 0; i < 30; i++) {
      est.record(20, { verb: 'observe' });
      est.record(500, { verb: 'decide' });
    }
    expect(est.estimate({ verb: 'observe' })).toMatchObject({ source: 'learned', basis: 'verb', samples: 30 });
    expect(est.estimate({ verb: 'observe' }).expectedMs).toBeCloseTo(20, 9);
    expect(est.estimate({ verb: 'decide' }).expectedMs).toBeCloseTo(500, 9);
    // Never measured: the agent's all-verb mean, not the class prior of 100.
    const act = est.estimate({ verb: 'act' });
    expect(act).toMatchObject({ source: 'learned', basis: 'agent', samples: 60 });
    expect(act.expectedMs).toBeCloseTo(260, 6);
    expect(est.estimate().expectedMs).toBeCloseTo(260, 6);
    expect(est.samples('act')).toBe(0);
    expect(est.samples()).toBe(60);
  });

  it('shrinks a rarely seen verb toward the agent estimate, not the class prior', () => {
    const est = new ProcessingEstimator('A'); // prior 10
    for (let i = 0; i < 40; i++) est.record(30, { verb: 'observe' });
    est.record(90, { verb: 'record' });
    const rec = est.estimate({ verb: 'record' });
    expect(rec.basis).toBe('verb');
    expect(rec.source).toBe('learned'); // the agent level is fully trusted, so no prior remains
    expect(rec.expectedMs).toBeGreaterThan(30);
    expect(rec.expectedMs).toBeLessThan(90);
  });

  it('learns the base time and scales it by the conditions', () => {
    const est = new ProcessingEstimator('E');
    // Measured at weight 2 (factor 2) and queue 5 (factor 1.5): base 100.
    for (let i = 0; i < 25; i++) est.record(300, { verb: 'act', payloadWeight: 2, queueDepth: 5 });
    expect(est.estimate({ verb: 'act', payloadWeight: 2, queueDepth: 5 }).expectedMs).toBeCloseTo(300, 9);
    expect(est.estimate({ verb: 'act' }).expectedMs).toBeCloseTo(100, 9);
    expect(est.estimate({ verb: 'act', queueDepth: 10 }).expectedMs).toBeCloseTo(200, 9);
  });

  it('round-trips through toJSON/fromJSON and JSON text', () => {
    const est = new ProcessingEstimator('C');
    for (let i = 0; i < 7; i++) est.record(100 + i * 3, { verb: 'sync', queueDepth: i });
    est.record(55);
    const snap = est.toJSON();
    expect(Object.keys(snap.stats).sort()).toEqual(['all', 'sync']);
    const back = ProcessingEstimator.fromJSON(JSON.parse(JSON.stringify(est)));
    expect(back.agentClass).toBe('C');
    expect(back.toJSON()).toEqual(snap);
    for (const verb of [undefined, 'sync', 'act'] as const) {
      expect(back.estimate({ verb, payloadWeight: 1, queueDepth: 2 })).toEqual(
        est.estimate({ verb, payloadWeight: 1, queueDepth: 2 }),
      );
    }
  });

  it('refuses a bad snapshot with INVALID_FIELDS and a path', () => {
    const pathOf = (snap: unknown) => {
      try {
        ProcessingEstimator.fromJSON(snap);
      } catch (e) {
        expect(e).toBeInstanceOf(MeshError);
        expect((e as MeshError).code).toBe('INVALID_FIELDS');
        return (e as MeshError).path;
      }
      return 'accepted';
    };
    expect(pathOf({ v: 1, agent_class: 'Z', stats: {} })).toBe('agent_class');
    expect(pathOf({ v: 1, agent_class: 'A', stats: { act: [1, -5, 0] } })).toBe('stats.act.1');
    expect(pathOf({ v: 1, agent_class: 'A', stats: { dance: [1, 5, 0] } })).toMatch(/^stats/);
    expect(pathOf({ v: 2, agent_class: 'A', stats: {} })).toBe('v');
  });

  it('rejects bad samples and options', () => {
    const est = new ProcessingEstimator('A');
    expect(() => est.record(-1)).toThrow(MeshError);
    expect(() => est.record(Number.NaN)).toThrow(MeshError);
    expect(() => est.record(5, { payloadWeight: -1 })).toThrow(MeshError);
    expect(() => est.estimate({ queueDepth: -1 })).toThrow(MeshError);
    expect(() => new ProcessingEstimator('A', { fullTrustSamples: 0 })).toThrow(MeshError);
    expect(() => new ProcessingEstimator('A', { halfLife: 0 })).toThrow(MeshError);
    expect(() => new ProcessingEstimator('A', { priorRelativeSpread: -1 })).toThrow(MeshError);
  });
});
