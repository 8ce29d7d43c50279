/**
 * The trust store's snapshot is one value in lead_state, but a fleet's worth of keys is far
 * larger than a NATS message: in KV it is one entry per agent (its keys, its revocation) and one
 * list of revoked keys, split here and joined again on the follower.
 */
import { TRUST_STORE_SNAPSHOT_VERSION, type TrustStoreSnapshot } from '@mesh30k/shared';
import type { TrustAgentEntry } from './entries.js';

export interface SplitTrust {
  readonly agents: Map<string, TrustAgentEntry>;
  readonly revokedKeys: TrustStoreSnapshot['revoked_keys'];
}

export function splitTrust(snapshot: TrustStoreSnapshot): SplitTrust {
  const agents = new Map<string, TrustAgentEntry>();
  const entry = (agentId: string): TrustAgentEntry => {
    let found = agents.get(agentId);
    if (found === undefined) agents.set(agentId, (found = { keys: [], revoked_at: null }));
    return found;
  };
  for (const key of snapshot.keys) entry(key.record.agent_id).keys.push(key);
  for (const { agent_id, revoked_at } of snapshot.revoked_agents) entry(agent_id).revoked_at = revoked_at;
  return { agents, revokedKeys: snapshot.revoked_keys };
}

export function joinTrust(split: SplitTrust): TrustStoreSnapshot {
  const snapshot: TrustStoreSnapshot = { v: TRUST_STORE_SNAPSHOT_VERSION, keys: [], revoked_keys: [...split.revokedKeys], revoked_agents: [] };
  for (const [agentId, entry] of split.agents) {
    snapshot.keys.push(...entry.keys);
    if (entry.revoked_at !== null) snapshot.revoked_agents.push({ agent_id: agentId, revoked_at: entry.revoked_at });
  }
  return snapshot;
}
