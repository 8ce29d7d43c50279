/** The lead's registry as the cascade's SubtreeSource (what main.ts passes). */
import type { ControlState } from '../ingest/index.js';
import type { Registry } from '../registry/index.js';
import type { ScatterTargets } from '../scatter/ports.js';
import type { SubtreeSource } from './ports.js';

export interface RegistrySubtreeDeps {
  readonly registry: Registry;
  /** registryPorts(registry).targets: the same read side the scatter engine uses. */
  readonly targets: ScatterTargets;
  readonly control: ControlState;
  readonly clusterId: string;
  readonly sectorId?: string | undefined;
}

export function registrySubtree(deps: RegistrySubtreeDeps): SubtreeSource {
  return {
    targets: deps.targets,
    impedanceScore: (agentId) => deps.registry.get(agentId)?.impedance.impedanceScore,
    mode: () => deps.registry.mode,
    frozen: () => deps.control.isFrozen(deps.clusterId, deps.sectorId),
  };
}
