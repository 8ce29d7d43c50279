// Whether a selector picks an agent: every field given must match; a selector with no field
// selects nobody. The registry fake and the test agents both use it, as the real ones will.
import type { Selector } from '@mesh30k/shared';

export interface AgentFacts {
  readonly agentId: string;
  readonly agentClass: string;
  readonly capabilities: readonly string[];
  readonly clusterId: string;
  readonly sectorId: string | null;
}

export function selectorMatches(selector: Selector, agent: AgentFacts): boolean {
  const checks: boolean[] = [];
  if (selector.all === true) checks.push(true);
  if (selector.agent_ids !== undefined) checks.push(selector.agent_ids.includes(agent.agentId));
  if (selector.capability !== undefined) checks.push(agent.capabilities.includes(selector.capability));
  if (selector.agent_class !== undefined) checks.push(agent.agentClass === selector.agent_class);
  if (selector.cluster_id !== undefined) checks.push(agent.clusterId === selector.cluster_id);
  if (selector.sector_id !== undefined) checks.push(agent.sectorId === selector.sector_id);
  return checks.length > 0 && checks.every(Boolean);
}
