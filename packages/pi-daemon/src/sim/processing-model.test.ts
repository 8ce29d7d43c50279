import { describe, expect, it } from 'vitest';
import { agentProcessing, noisySpikeMedian, normalCdf, type ProcessingModelSpec } from './processing-model.js';
import { logNormal, seededRandom } from './random.js';

const REALISTIC: ProcessingModelSpec = { scenario: 'realistic', spread: 0.25, realistic: { agent_spread: 0.3, noise: 0.05, spike_rate: 0.02, spike_factor: { min: 2, max: 4 } } };
const INDEPENDENT: ProcessingModelSpec = { ...REALISTIC, scenario: 'independent' };

function empiricalMedian(draw: () => number, n = 20_001): number {
  const values = Array.from({ length: n }, draw).sort((a, b) => a - b);
  return values[n >> 1]!;
}

describe('processing model', () => {
  it('independent: draws exactly what the sims always drew, around the class base', () => {
    const random = seededRandom(7);
    const same = seededRandom(7);
    const model = agentProcessing(INDEPENDENT, 150, 1, 42, random);
    expect(model.medianMs).toBe(150);
    for (let i = 0; i < 5; i++) expect(model.draw()).toBe(logNormal(same, 150, 0.25));
  });

  it('realistic: each agent has its own stable speed, draws close to it, and its stated median is its draws\' median', () => {
    const medians = [1, 2, 3, 4, 5, 6].map((seed) => agentProcessing(REALISTIC, 150, 1, seed, seededRandom(seed)));
    // Stable per-agent factors differ between agents...
    expect(new Set(medians.map((m) => Math.round(m.medianMs))).size).toBeGreaterThan(3);
    for (const model of medians) {
      // ...and the true median is what its draws give (to sampling error).
      expect(empiricalMedian(() => model.draw()) / model.medianMs).toBeCloseTo(1, 2);
    }
  });

  it('realistic: spikes are rare and large, the rest is within a few percent of the median', () => {
    const model = agentProcessing(REALISTIC, 100, 1, 9, seededRandom(9));
    const draws = Array.from({ length: 20_000 }, () => model.draw() / model.medianMs);
    const spikes = draws.filter((d) => d > 1.6).length / draws.length;
    expect(spikes).toBeGreaterThan(0.01);
    expect(spikes).toBeLessThan(0.03);
    expect(draws.filter((d) => Math.abs(d - 1) < 0.1).length / draws.length).toBeGreaterThan(0.9);
  });

  it('the slow factor scales the median and the draws alike', () => {
    const slow = agentProcessing(REALISTIC, 100, 3, 5, seededRandom(5));
    const fast = agentProcessing(REALISTIC, 100, 1, 5, seededRandom(5));
    expect(slow.medianMs / fast.medianMs).toBeCloseTo(3, 9);
    expect(slow.draw() / fast.draw()).toBeCloseTo(3, 9);
  });

  it('the mixture median is 1 without noise or spikes and moves up only slightly with rare spikes', () => {
    expect(noisySpikeMedian({ ...REALISTIC.realistic, spike_rate: 0 })).toBeCloseTo(1, 6);
    const withSpikes = noisySpikeMedian(REALISTIC.realistic);
    expect(withSpikes).toBeGreaterThan(1);
    expect(withSpikes).toBeLessThan(1.01);
  });

  it('normalCdf is the standard normal CDF', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 6);
  });
});
