/**
 * Capabilities an operation needs because of what it asks, beside those the operator listed:
 * `act` that names an output (set, pulse, toggle) needs `act:<output>`, the capability an agent
 * holds for each output it drives. The lead skips agents without it (capability_mismatch)
 * instead of sending them work they can only refuse; a Worker, which drives no outputs, is
 * never sent such an act. An `act` naming no output (identify, a simulated workload) implies
 * nothing: the agent answers for itself.
 */
import { Capability, type Verb } from '@mesh30k/shared';

export function impliedCapabilities(verb: Verb, payload: unknown): string[] {
  if (verb !== 'act' || typeof payload !== 'object' || payload === null || Array.isArray(payload)) return [];
  const output = (payload as Record<string, unknown>).output;
  if (typeof output !== 'string') return [];
  // An output name no capability can spell is a bad payload: the agent refuses it (BAD_PAYLOAD).
  const capability = Capability.safeParse(`act:${output}`);
  return capability.success ? [capability.data] : [];
}

/** `required` followed by what `implied` adds, without repeats. */
export function withImplied(required: readonly string[], implied: readonly string[]): string[] {
  return [...new Set([...required, ...implied])];
}
