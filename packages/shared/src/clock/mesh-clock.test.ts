import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { MeshClock } from './mesh-clock.js';
import { OffsetEstimator } from './offset-estimator.js';
import { agentTime, seededRandom, simulateExchange } from './sim.test-helper.js';
import type { SimClock } from './sim.test-helper.js';

const START = 1.75e12;

/** An agent whose clock is `sim`, fed ten minutes of noisy 1 Hz heartbeats. */
function trainedAgent(sim: SimClock, seed = 5): { mesh: MeshClock; local: ManualClock } {
  const local = new ManualClock();
  const estimator = new OffsetEstimator({ clock: local });
  const rand = seededRandom(seed);
  for (let i = 0; i < 600; i += 1) {
    const leg = { sendTrueMs: START + i * 1000, forwardMs: 1 + rand() * 6, holdMs: 0.3, backMs: 1 + rand() * 6 };
    const result = estimator.addExchange(simulateExchange(leg, sim));
    if (!result.ok) throw result.error;
  }
  return { mesh: new MeshClock({ local, estimator }), local };
}

describe('MeshClock', () => {
  it('is the local clock before any heartbeat', () => {
    const local = new ManualClock(42_000);
    const mesh = new MeshClock({ local, estimator: new OffsetEstimator({ clock: local }) });
    expect(mesh.meshNow()).toBe(42_000);
    expect(mesh.toLocal(50_000)).toBe(50_000);
    expect(mesh.report()).toBeNull();
  });

  it('reads mesh time within its error bound on a skewed, drifting clock', () => {
    const sim = { skewMs: -8_765.4, driftPpm: 85 };
    const { mesh, local } = trainedAgent(sim);
    const trueNow = START + 620_000;
    local.set(agentTime(trueNow, sim));
    expect(Math.abs(mesh.meshNow() - trueNow)).toBeLessThanOrEqual(mesh.errorBoundMs());
    expect(mesh.now()).toBe(mesh.meshNow());
    expect(mesh.errorBoundMs()).toBeLessThan(5);
  });

  it('converts a target T into the local instant at which true time is T (hold mode)', () => {
    const sim = { skewMs: 3_000, driftPpm: -120 };
    const { mesh, local } = trainedAgent(sim, 9);
    const targetMesh = START + 700_000;
    const localDeadline = mesh.toLocal(targetMesh);
    const trueAtDeadline = (localDeadline - sim.skewMs) / (1 + sim.driftPpm * 1e-6);
    local.set(localDeadline);
    expect(Math.abs(trueAtDeadline - targetMesh)).toBeLessThanOrEqual(mesh.errorBoundMs());
  });

  it('toLocal inverts toMesh, drift included', () => {
    const { mesh } = trainedAgent({ skewMs: 1234, driftPpm: 250 });
    fc.assert(
      fc.property(fc.double({ min: START - 1e9, max: START + 1e9, noNaN: true }), (localMs) => {
        expect(Math.abs(mesh.toLocal(mesh.toMesh(localMs)) - localMs)).toBeLessThan(1e-3);
      }),
    );
  });
});
