import type { ConflictDetail } from '@mesh30k/shared';

/** Required capabilities this agent lacks, in the order they were asked for. */
export function missingCapabilities(required: readonly string[], have: readonly string[]): string[] {
  return required.filter((capability) => !have.includes(capability));
}

/** The conflict an agent reports when asked for what it cannot do (spec 5.1: reroute to a capable agent). */
export function capabilityConflict(missing: readonly string[], have: readonly string[], contextHash: string): ConflictDetail {
  return {
    type: 'CAPABILITY_MISMATCH',
    expected_value: JSON.stringify(have),
    received_value: JSON.stringify(missing),
    context_hash: contextHash,
    detail: `this agent lacks ${missing.join(', ')}`.slice(0, 1_024),
  };
}
