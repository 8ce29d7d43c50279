import { describe, expect, it } from 'vitest';
import { simPrivateKey, virtualProfiles } from './profiles.js';
import { SimSpec } from './spec.js';

describe('virtual profiles', () => {
  const spec = SimSpec.parse({ lead_id: 'lead-1', count: 1_000, seed: 3, classes: { E: 3, A: 1 }, faults: { crash: 0.1, stall: 0.05, slow: 0.2 } });

  it('are the same fleet for the same seed, and another for another seed', () => {
    expect(virtualProfiles(spec)).toEqual(virtualProfiles(spec));
    expect(virtualProfiles({ ...spec, seed: 4 })[0]).not.toEqual(virtualProfiles(spec)[0]);
    expect(simPrivateKey(3, 'sim-1')).toEqual(simPrivateKey(3, 'sim-1'));
    expect(simPrivateKey(3, 'sim-1')).not.toEqual(simPrivateKey(3, 'sim-2'));
  });

  it('follow the spec: ids, class mix, skew ranges and fault shares', () => {
    const profiles = virtualProfiles(spec);
    expect(profiles[0]!.agentId).toBe('sim-1');
    expect(new Set(profiles.map((p) => p.agentId)).size).toBe(1_000);
    const share = (test: (p: (typeof profiles)[number]) => boolean): number => profiles.filter(test).length / profiles.length;
    expect(share((p) => p.agentClass === 'E')).toBeCloseTo(0.75, 1);
    expect(share((p) => p.crashAfterMs !== undefined)).toBeCloseTo(0.1, 1);
    expect(share((p) => p.stall)).toBeCloseTo(0.05, 1);
    expect(share((p) => p.slowFactor > 1)).toBeCloseTo(0.2, 1);
    for (const p of profiles) {
      expect(Math.abs(p.offsetMs)).toBeLessThanOrEqual(2_000);
      expect(Math.abs(p.driftPpm)).toBeLessThanOrEqual(50);
    }
  });

  it('the realistic processing scenario runs the same fleet: only the processing model differs', () => {
    const realistic = virtualProfiles(SimSpec.parse({ ...spec, processing: { scenario: 'realistic' } }));
    const independent = virtualProfiles(spec);
    expect(realistic.map(({ processingModel: _m, ...rest }) => rest)).toEqual(independent.map(({ processingModel: _m, ...rest }) => rest));
    expect(realistic[0]!.processingModel).toMatchObject({ scenario: 'realistic', realistic: { agent_spread: 0.3, noise: 0.05, spike_rate: 0.02, spike_factor: { min: 2, max: 4 } } });
    expect(independent[0]!.processingModel.scenario).toBe('independent');
  });

  it('refuses a spec with an inverted range, naming the field', () => {
    const parsed = SimSpec.safeParse({ lead_id: 'l', count: 1, clock: { offset_ms: { min: 5, max: 1 } } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path.join('.')).toBe('clock.offset_ms.max');
  });
});
