import type { Selector } from '@mesh30k/shared';
import type { AgentRecord } from './agent-record.js';

/**
 * Agents with one key, in the order they were added. An array, not a Set: 8 bytes an entry
 * against about 25 (five entries per agent: 130 bytes an agent in Sets, 50 in arrays). Removal
 * is a linear scan, paid only when an agent changes cluster, sector, class or capabilities.
 */
type Bucket = AgentRecord[];

/**
 * Secondary indexes over the records (cluster, sector, class, capability), so selecting the
 * 30 agents of a cluster among 30,000 does not scan them all.
 */
export class AgentIndex {
  private readonly byCluster = new Map<string, Bucket>();
  private readonly bySector = new Map<string, Bucket>();
  private readonly byClass = new Map<string, Bucket>();
  private readonly byCapability = new Map<string, Bucket>();

  add(record: AgentRecord): void {
    put(this.byCluster, record.clusterId, record);
    put(this.bySector, record.sectorId, record);
    put(this.byClass, record.agentClass, record);
    for (const capability of record.capabilities) put(this.byCapability, capability, record);
  }

  remove(record: AgentRecord): void {
    drop(this.byCluster, record.clusterId, record);
    drop(this.bySector, record.sectorId, record);
    drop(this.byClass, record.agentClass, record);
    for (const capability of record.capabilities) drop(this.byCapability, capability, record);
  }

  /**
   * The smallest indexed set that contains every agent the selector can match, or undefined
   * when the selector names no indexed field (then the caller scans all records).
   */
  narrowest(selector: Selector): readonly AgentRecord[] | undefined {
    let best: readonly AgentRecord[] | undefined;
    const consider = (map: Map<string, Bucket>, key: string | undefined): void => {
      if (key === undefined) return;
      const bucket: readonly AgentRecord[] = map.get(key) ?? EMPTY;
      if (best === undefined || bucket.length < best.length) best = bucket;
    };
    consider(this.byCluster, selector.cluster_id);
    consider(this.bySector, selector.sector_id);
    consider(this.byClass, selector.agent_class);
    consider(this.byCapability, selector.capability);
    return best;
  }
}

const EMPTY: readonly AgentRecord[] = Object.freeze([]);

/**
 * Selector semantics: every field present must match (they are ANDed); `all: true` alone
 * matches everyone; an empty selector matches nobody (as the protocol says).
 */
export function matchesSelector(record: AgentRecord, selector: Selector, ids?: ReadonlySet<string>): boolean {
  if (!isSelective(selector)) return false;
  if (ids !== undefined && !ids.has(record.agentId)) return false;
  if (selector.cluster_id !== undefined && record.clusterId !== selector.cluster_id) return false;
  if (selector.sector_id !== undefined && record.sectorId !== selector.sector_id) return false;
  if (selector.agent_class !== undefined && record.agentClass !== selector.agent_class) return false;
  if (selector.capability !== undefined && !record.capabilities.includes(selector.capability)) return false;
  return true;
}

/** False for the empty selector (and for `all: false` with nothing else). */
export function isSelective(selector: Selector): boolean {
  return (
    selector.all === true ||
    selector.agent_ids !== undefined ||
    selector.cluster_id !== undefined ||
    selector.sector_id !== undefined ||
    selector.agent_class !== undefined ||
    selector.capability !== undefined
  );
}

function put(map: Map<string, Bucket>, key: string, record: AgentRecord): void {
  let bucket = map.get(key);
  if (bucket === undefined) map.set(key, (bucket = []));
  // A capability listed twice is indexed once (a record's keys are added together).
  if (bucket[bucket.length - 1] !== record) bucket.push(record);
}

function drop(map: Map<string, Bucket>, key: string, record: AgentRecord): void {
  const bucket = map.get(key);
  const at = bucket?.indexOf(record) ?? -1;
  if (bucket === undefined || at < 0) return;
  bucket.splice(at, 1);
  if (bucket.length === 0) map.delete(key);
}
