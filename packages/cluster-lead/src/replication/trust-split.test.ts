import { TRUST_STORE_SNAPSHOT_VERSION, type TrustStoreSnapshot } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { REVOKED_KEYS_KEY } from './entries.js';
import { TrustDiff } from './state-sources.js';
import { joinTrust, splitTrust } from './trust-split.js';

const KEY_A = 'A'.repeat(42) + 'A';
const KEY_B = 'B'.repeat(42) + 'A';

function key(agentId: string, publicKey: string): TrustStoreSnapshot['keys'][number] {
  return {
    record: { v: 1, agent_id: agentId, public_key: publicKey, role: 'agent', class: 'B', capabilities: ['observe'], cluster_id: 'cluster-1', issued_at: 1, expires_at: 2, issuer_key_id: 'root' },
    since: 1,
    via: 'enrollment',
    retire_at: null,
    rotated_to: null,
    revoked_at: null,
  };
}

const snapshot: TrustStoreSnapshot = {
  v: TRUST_STORE_SNAPSHOT_VERSION,
  keys: [key('pi-1', KEY_A), key('pi-2', KEY_B)],
  revoked_keys: [],
  revoked_agents: [{ agent_id: 'pi-2', revoked_at: 5 }],
};

describe('the trust store split per agent', () => {
  it('joins back to the same keys and revocations', () => {
    const joined = joinTrust(splitTrust(snapshot));
    expect(joined.keys).toEqual(snapshot.keys);
    expect(joined.revoked_agents).toEqual(snapshot.revoked_agents);
  });

  it('writes only the agents whose part changed, and removes the ones gone', () => {
    const writes: string[] = [];
    const diff = new TrustDiff({ put: (_kind, k) => writes.push(`put ${k}`), remove: (_kind, k) => writes.push(`remove ${k}`) });
    diff.baseline(snapshot);
    expect(diff.write(snapshot)).toBe(0);
    diff.write({ ...snapshot, keys: [snapshot.keys[0]!], revoked_agents: [], revoked_keys: [{ public_key: KEY_B, revoked_at: 9 }] });
    expect(writes.sort()).toEqual([`put ${REVOKED_KEYS_KEY}`, 'remove pi-2']);
  });
});
