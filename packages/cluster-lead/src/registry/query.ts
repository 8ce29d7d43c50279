import type { OperationalState, Selector } from '@mesh30k/shared';
import { FLAG, type AgentRecord } from './agent-record.js';
import { isSelective, matchesSelector } from './agent-index.js';
import type { RegistryCore } from './core.js';

export interface AgentQuery {
  selector: Selector;
  /** States to include. Default: the routable ones, active and degraded. */
  states?: readonly OperationalState[];
  /**
   * Default true: in panic mode the state filter is lifted (every matching agent but the
   * retired is returned) and the selection says so. False gives the exact filter always.
   */
  honourPanic?: boolean;
  /** `impedance`: lowest impedance score first, then highest health. Default: registry order. */
  order?: 'impedance';
  limit?: number;
}

export type ExclusionReason = `state:${OperationalState}` | 'retired';

export interface Selection {
  /** Agents selected, in the order asked for. */
  agentIds: string[];
  /** Agents the selector matched but the state filter left out, with why. */
  excluded: { agentId: string; reason: ExclusionReason }[];
  /** agent_ids named by the selector that the registry does not know. */
  unknown: string[];
  /** True when panic mode lifted the state filter for this selection. */
  panic: boolean;
}

export const ROUTABLE_STATES: readonly OperationalState[] = Object.freeze(['active', 'degraded']);

export function select(core: RegistryCore, query: AgentQuery, panicNow: boolean): Selection {
  const { selector } = query;
  const panic = panicNow && (query.honourPanic ?? true);
  const states = new Set(query.states ?? ROUTABLE_STATES);
  const selection: Selection = { agentIds: [], excluded: [], unknown: [], panic };
  if (!isSelective(selector)) return selection;

  const picked: AgentRecord[] = [];
  const consider = (record: AgentRecord): void => {
    if (record.has(FLAG.retired)) selection.excluded.push({ agentId: record.agentId, reason: 'retired' });
    else if (panic || states.has(record.state)) picked.push(record);
    else selection.excluded.push({ agentId: record.agentId, reason: `state:${record.state}` });
  };

  if (selector.agent_ids !== undefined) {
    const ids = new Set(selector.agent_ids);
    for (const id of ids) {
      const record = core.records.get(id);
      if (record === undefined) selection.unknown.push(id);
      else if (matchesSelector(record, selector, ids)) consider(record);
    }
  } else {
    const candidates = core.index.narrowest(selector) ?? core.records.values();
    for (const record of candidates) if (matchesSelector(record, selector)) consider(record);
  }

  if (query.order === 'impedance') picked.sort(byImpedance);
  const limited = query.limit === undefined ? picked : picked.slice(0, query.limit);
  selection.agentIds = limited.map((record) => record.agentId);
  return selection;
}

function byImpedance(a: AgentRecord, b: AgentRecord): number {
  return a.impedanceScore - b.impedanceScore || (b.health?.score() ?? 1) - (a.health?.score() ?? 1);
}
