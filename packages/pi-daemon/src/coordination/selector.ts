import type { Selector } from '@mesh30k/shared';
import type { AgentIdentity } from '../agent/options.js';

/**
 * Whether a COORDINATE's selector picks this agent. Every field present is a condition and all
 * must hold; `all: true` alone picks everyone; a selector with no condition picks nobody, as
 * the protocol says.
 */
export function isSelected(selector: Selector, self: AgentIdentity): boolean {
  let conditions = 0;
  if (selector.agent_ids !== undefined) {
    conditions++;
    if (!selector.agent_ids.includes(self.agentId)) return false;
  }
  if (selector.capability !== undefined) {
    conditions++;
    if (!self.capabilities.includes(selector.capability)) return false;
  }
  if (selector.agent_class !== undefined) {
    conditions++;
    if (selector.agent_class !== self.agentClass) return false;
  }
  if (selector.cluster_id !== undefined) {
    conditions++;
    if (selector.cluster_id !== self.clusterId) return false;
  }
  if (selector.sector_id !== undefined) {
    conditions++;
    if (selector.sector_id !== self.sectorId) return false;
  }
  if (selector.all === true) conditions++;
  return conditions > 0;
}

/** Capabilities the operation needs that this agent lacks (empty when it can act). */
export function missingCapabilities(required: readonly string[], self: AgentIdentity): string[] {
  return required.filter((capability) => !self.capabilities.includes(capability));
}
