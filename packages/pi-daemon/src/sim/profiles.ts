import { createHash } from 'node:crypto';
import { CLASS_BASE_MS } from '@mesh30k/shared';
import type { AgentClass } from '@mesh30k/shared';
import { seededRandom, uniform, weightedPick } from './random.js';
import type { ProcessingModelSpec } from './processing-model.js';
import type { SimSpec } from './spec.js';

/** One virtual agent as drawn from a spec. */
export interface VirtualProfile {
  agentId: string;
  agentClass: AgentClass;
  capabilities: readonly string[];
  /** The class's base time (or the spec's median): the independent scenario's median, the realistic one's before the agent factor. */
  processingMedianMs: number;
  processingSpread: number;
  processingModel: ProcessingModelSpec;
  offsetMs: number;
  driftPpm: number;
  /** Set for agents that crash: ms after start. */
  crashAfterMs: number | undefined;
  stall: boolean;
  /** 1 for agents that are not slow. */
  slowFactor: number;
  conflictRate: number;
  /** Seeds this agent's own generator (processing draws, conflicts). */
  seed: number;
}

export function virtualProfiles(spec: SimSpec): VirtualProfile[] {
  const random = seededRandom(spec.seed);
  const { faults } = spec;
  const profiles: VirtualProfile[] = [];
  for (let n = 1; n <= spec.count; n++) {
    const agentClass = weightedPick(random, spec.classes);
    profiles.push({
      agentId: `${spec.id_prefix}-${n}`,
      agentClass,
      capabilities: spec.capabilities,
      processingMedianMs: spec.processing.median_ms ?? CLASS_BASE_MS[agentClass],
      processingSpread: spec.processing.spread,
      processingModel: { scenario: spec.processing.scenario, spread: spec.processing.spread, realistic: spec.processing.realistic },
      offsetMs: uniform(random, spec.clock.offset_ms.min, spec.clock.offset_ms.max),
      driftPpm: uniform(random, spec.clock.drift_ppm.min, spec.clock.drift_ppm.max),
      crashAfterMs: random() < faults.crash ? uniform(random, faults.crash_after_ms.min, faults.crash_after_ms.max) : undefined,
      stall: random() < faults.stall,
      slowFactor: random() < faults.slow ? faults.slow_factor : 1,
      conflictRate: faults.conflict_rate,
      seed: Math.floor(random() * 0xffffffff),
    });
  }
  return profiles;
}

/**
 * A virtual agent's private key, derived from the fleet seed and its id: the same fleet gets
 * the same identities on every run, so enrollments issued once stay valid across restarts.
 * Only for simulation; real agents generate keys with `mesh-agent keygen`.
 */
export function simPrivateKey(seed: number, agentId: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`mesh30k-sim/${seed}/${agentId}`).digest());
}
