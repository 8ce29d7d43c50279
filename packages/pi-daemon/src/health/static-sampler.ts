/** A sampler that always reports the same health: simulation mode and tests. */
import { SystemHealth } from '@mesh30k/shared';
import type { SystemHealth as SystemHealthType } from '@mesh30k/shared';
import type { HealthSampler } from '../ports.js';
import { EMPTY_HEALTH } from './worker-protocol.js';

export function staticHealthSampler(health: SystemHealthType = EMPTY_HEALTH): HealthSampler {
  const fixed = Object.freeze(SystemHealth.parse(health));
  return {
    latest: () => fixed,
    start: () => undefined,
    stop: () => Promise.resolve(),
  };
}
