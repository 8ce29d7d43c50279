/**
 * Followed changes written into the standby's own SQLite store, each kind where the active lead
 * keeps it: agents in the snapshot table, enrollments in theirs, the quarantine in its table,
 * and freeze, mode override, breakers and the trust store's snapshot in lead_state. What the
 * lead loads at start (and a standby when it takes over) is then what the active lead had.
 */
import type { TrustStoreSnapshot } from '@mesh30k/shared';
import { BREAKERS_STATE_KEY } from '../breakers/index.js';
import { CONTROL_STATE_KEY } from '../ingest/index.js';
import type { PersistedAgent } from '../registry/index.js';
import type { LeadStore, QuarantinedItem, StoredEnrollment } from '../store/index.js';
import { TRUST_STATE_KEY } from '../trust/index.js';
import type { Kind } from './buckets.js';
import { BREAKERS_KEY, CONTROL_KEYS, REVOKED_KEYS_KEY, type TrustAgentEntry } from './entries.js';
import type { Applier, FollowedChange } from './follower.js';
import { joinTrust } from './trust-split.js';

export class StoreApplier implements Applier {
  private readonly trustAgents = new Map<string, TrustAgentEntry>();
  private revokedKeys: TrustStoreSnapshot['revoked_keys'] = [];

  constructor(
    private readonly store: LeadStore,
    private readonly now: () => number,
    /** lead_state key of the mode override (owned by the registry wiring). */
    private readonly modeOverrideKey: string,
  ) {}

  apply(kind: Kind, changes: readonly FollowedChange[]): void {
    switch (kind) {
      case 'registry':
        this.store.agents.write(
          changes.flatMap((change) => (change.data === undefined ? [] : [change.data as PersistedAgent])),
          this.now(),
        );
        return;
      case 'enrollments':
        this.store.enrollments.putAll(
          changes.flatMap((change) => (change.data === undefined ? [] : [change.data as StoredEnrollment])),
          this.now(),
        );
        return;
      case 'quarantine':
        this.store.db.transaction(() => {
          for (const change of changes) if (change.data !== undefined) this.store.quarantine.put(change.data as QuarantinedItem);
        })();
        return;
      case 'trust':
        for (const change of changes) {
          if (change.key === REVOKED_KEYS_KEY) this.revokedKeys = (change.data as TrustStoreSnapshot['revoked_keys'] | undefined) ?? [];
          else if (change.data === undefined) this.trustAgents.delete(change.key);
          else this.trustAgents.set(change.key, change.data as TrustAgentEntry);
        }
        this.store.state.set(TRUST_STATE_KEY, joinTrust({ agents: this.trustAgents, revokedKeys: this.revokedKeys }));
        return;
      case 'control':
        for (const change of changes) {
          if (change.key === CONTROL_KEYS.freeze && change.data !== undefined) this.store.state.set(CONTROL_STATE_KEY, change.data);
          if (change.key === CONTROL_KEYS.modeOverride) this.store.state.set(this.modeOverrideKey, change.data ?? null);
        }
        return;
      case 'breakers':
        for (const change of changes) if (change.key === BREAKERS_KEY) this.store.state.set(BREAKERS_STATE_KEY, change.data ?? []);
        return;
    }
  }
}
