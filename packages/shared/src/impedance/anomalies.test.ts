import { describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import {
  ANOMALY_STATE_SLOTS,
  AnomalyDetector,
  anomalyBaselineIn,
  classifyAnomalies,
  DEGRADED_SCORE_THRESHOLD,
  resolveAnomalyThresholds,
  SPIKE_MIN_HISTORY,
  UNSTABLE_DRIFT_THRESHOLD,
} from './anomalies.js';
import type { AnomalyInput } from './anomalies.js';

const calm: AnomalyInput = { impedance_score: 200, drift_coefficient: 0.1, current_latency_ms: 40 };

describe('classifyAnomalies', () => {
  it('uses the spec thresholds 800 and 0.5', () => {
    expect(DEGRADED_SCORE_THRESHOLD).toBe(800);
    expect(UNSTABLE_DRIFT_THRESHOLD).toBe(0.5);
  });

  it.each([
    [799.9, false],
    [800, false],
    [800.1, true],
    [1000, true],
  ])('degraded at score %s is %s', (score, want) => {
    expect(classifyAnomalies({ ...calm, impedance_score: score }, undefined).degraded).toBe(want);
  });

  it('is not unstable on a fast link whose spread is below the floor, whatever the ratio', () => {
    const fast = { ...calm, current_latency_ms: 2, drift_coefficient: 2 }; // spread ~4 ms
    expect(classifyAnomalies(fast, undefined).unstable).toBe(false);
    const slow = { ...calm, current_latency_ms: 40, drift_coefficient: 0.6 }; // spread ~24 ms
    expect(classifyAnomalies(slow, undefined).unstable).toBe(true);
    expect(classifyAnomalies(fast, undefined, resolveAnomalyThresholds({ unstableSpreadFloorMs: 0 })).unstable).toBe(true);
  });

  it.each([
    [0.49, false],
    [0.5, false],
    [0.51, true],
  ])('unstable at drift %s is %s', (drift, want) => {
    expect(classifyAnomalies({ ...calm, drift_coefficient: drift }, undefined).unstable).toBe(want);
  });

  it('honours overridden thresholds', () => {
    const t = { degradedScore: 500, unstableDrift: 0.2, spikeFactor: 3, spikeMinHistory: 1 } as const;
    const thresholds = resolveAnomalyThresholds(t);
    const reading = { impedance_score: 501, drift_coefficient: 0.21, current_latency_ms: 40 };
    expect(classifyAnomalies(reading, undefined, thresholds)).toEqual({ degraded: true, unstable: true, spike: false });
    // factor 3 with one reading of history: 2.5x is calm, 3.1x is a spike
    const baseline = { count: 1, scoreMean: 200, latencyMs: 40 };
    expect(classifyAnomalies({ ...reading, impedance_score: 500 }, baseline, thresholds).spike).toBe(false);
    expect(classifyAnomalies({ ...reading, impedance_score: 620 }, baseline, thresholds).spike).toBe(true);
  });

  it('calls a spike only strictly above factor x baseline, on score or latency', () => {
    const baseline = { count: SPIKE_MIN_HISTORY, scoreMean: 100, latencyMs: 30 };
    expect(classifyAnomalies({ ...calm, impedance_score: 200, current_latency_ms: 30 }, baseline).spike).toBe(false);
    expect(classifyAnomalies({ ...calm, impedance_score: 200.1, current_latency_ms: 30 }, baseline).spike).toBe(true);
    expect(classifyAnomalies({ ...calm, impedance_score: 100, current_latency_ms: 60 }, baseline).spike).toBe(false);
    expect(classifyAnomalies({ ...calm, impedance_score: 100, current_latency_ms: 60.1 }, baseline).spike).toBe(true);
  });

  it('needs enough history before calling a spike', () => {
    const reading = { ...calm, impedance_score: 900, current_latency_ms: 4000 };
    expect(classifyAnomalies(reading, undefined).spike).toBe(false);
    const history = (count: number) => ({ count, scoreMean: 100, latencyMs: 30 });
    expect(classifyAnomalies(reading, history(SPIKE_MIN_HISTORY - 1)).spike).toBe(false);
    expect(classifyAnomalies(reading, history(SPIKE_MIN_HISTORY)).spike).toBe(true);
  });

  it('does not call tiny absolute changes on an idle agent a spike', () => {
    const idle = { count: 50, scoreMean: 1, latencyMs: 0.5 };
    const reading = { impedance_score: 5, drift_coefficient: 0, current_latency_ms: 2 };
    expect(classifyAnomalies(reading, idle).spike).toBe(false);
  });
});

describe('AnomalyDetector', () => {
  it('judges each reading against earlier ones only and needs history', () => {
    const d = new AnomalyDetector();
    const spikeReading = { ...calm, impedance_score: 700, current_latency_ms: 400 };
    // The first reading has no history; a spike then is not reported.
    expect(d.observe(spikeReading).spike).toBe(false);
    d.reset();
    for (let i = 0; i < SPIKE_MIN_HISTORY - 1; i++) expect(d.observe(calm).spike).toBe(false);
    expect(d.observe(spikeReading).spike).toBe(false); // history of 4 < 5
    d.reset();
    for (let i = 0; i < SPIKE_MIN_HISTORY; i++) d.observe(calm);
    expect(d.observe(spikeReading).spike).toBe(true);
  });

  it('adapts: a lasting new level stops being a spike', () => {
    const d = new AnomalyDetector();
    for (let i = 0; i < 20; i++) d.observe(calm);
    const higher = { ...calm, impedance_score: 450, current_latency_ms: 100 };
    expect(d.observe(higher).spike).toBe(true);
    for (let i = 0; i < 60; i++) d.observe(higher);
    expect(d.observe(higher).spike).toBe(false);
    expect(d.baseline()!.scoreMean).toBeGreaterThan(400);
  });

  it('reports degraded and unstable regardless of history', () => {
    const d = new AnomalyDetector({ degradedScore: 300 });
    expect(d.observe({ impedance_score: 301, drift_coefficient: 0.6, current_latency_ms: 20 })).toEqual({
      degraded: true,
      unstable: true,
      spike: false,
    });
  });

  it('rejects nonsense thresholds', () => {
    expect(() => new AnomalyDetector({ spikeFactor: 0 })).toThrow(MeshError);
    expect(() => new AnomalyDetector({ degradedScore: Number.NaN })).toThrow(MeshError);
    expect(() => new AnomalyDetector({ spikeMinHistory: -1 })).toThrow(MeshError);
  });

  it('judges a baseline kept in the caller\'s array exactly as a detector judges its own', () => {
    const own = new AnomalyDetector({ spikeMinHistory: 2 });
    const engine = new AnomalyDetector({ spikeMinHistory: 2 });
    const state = new Array<number>(3 + ANOMALY_STATE_SLOTS + 2).fill(0);
    expect(anomalyBaselineIn(state, 3)).toBeUndefined();
    for (const [score, latency] of [[100, 10], [110, 12], [400, 11], [105, 60]] as const) {
      const reading = { impedance_score: score, current_latency_ms: latency, drift_coefficient: 0.1 };
      expect(engine.observeIn(state, 3, reading)).toEqual(own.observe(reading));
      expect(anomalyBaselineIn(state, 3)).toEqual(own.baseline());
    }
    // Nothing outside its slots is touched.
    expect([...state.slice(0, 3), ...state.slice(3 + ANOMALY_STATE_SLOTS)]).toEqual([0, 0, 0, 0, 0]);
    expect(engine.baseline()).toBeUndefined();
  });
});
