import type { Selector } from '@mesh30k/shared';

export interface SelfDescription {
  agentId: string;
  clusterId: string;
  capabilities: readonly string[];
}

/** A Worker is always class A. */
export const EDGE_AGENT_CLASS = 'A' as const;

/**
 * Whether a selector picks this agent. An empty selector picks nobody; otherwise `all`, or
 * every criterion present must match. `sector_id` is not checked: a Worker belongs to no
 * sector, and the lead only sends it COORDINATEs it already routed to it.
 */
export function isSelected(selector: Selector, self: SelfDescription): boolean {
  if (selector.all === true) return true;
  const { agent_ids, capability, agent_class, cluster_id } = selector;
  if (agent_ids === undefined && capability === undefined && agent_class === undefined && cluster_id === undefined) {
    return selector.sector_id !== undefined;
  }
  if (agent_ids !== undefined && !agent_ids.includes(self.agentId)) return false;
  if (capability !== undefined && !self.capabilities.includes(capability)) return false;
  if (agent_class !== undefined && agent_class !== EDGE_AGENT_CLASS) return false;
  if (cluster_id !== undefined && cluster_id !== self.clusterId) return false;
  return true;
}
