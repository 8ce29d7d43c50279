/**
 * From the lead's store to KV changes: which lead_state keys are shared state and under which
 * bucket and key they go, the trust store split per agent (only the agents whose part changed
 * are written), and everything a bucket should hold when it is found empty (first start with
 * backend jetstream, or a lead switched over from sqlite).
 */
import { MeshMode, TrustStoreSnapshot } from '@mesh30k/shared';
import { BREAKERS_STATE_KEY, StoredBreakers } from '../breakers/index.js';
import { CONTROL_STATE_KEY, StoredControl } from '../ingest/index.js';
import type { LeadStore } from '../store/index.js';
import { TRUST_STATE_KEY } from '../trust/index.js';
import { kvKey, type Kind } from './buckets.js';
import { BREAKERS_KEY, CONTROL_KEYS, REVOKED_KEYS_KEY } from './entries.js';
import { splitTrust } from './trust-split.js';

/** Where changes go (KvMirror's put and remove). */
export interface ChangeSink {
  put(kind: Kind, key: string, data: unknown): void;
  remove(kind: Kind, key: string): void;
}

export class TrustDiff {
  private last = new Map<string, string>();

  constructor(private readonly sink: ChangeSink) {}

  /** Takes `snapshot` as what KV holds already (after following it), without writing. */
  baseline(snapshot: TrustStoreSnapshot | undefined): void {
    this.last = snapshot === undefined ? new Map<string, string>() : texts(snapshot);
  }

  /** Writes the agents (and the revoked-key list) whose part differs from the last snapshot. */
  write(snapshot: TrustStoreSnapshot): number {
    const next = texts(snapshot);
    const split = splitTrust(snapshot);
    let changed = 0;
    for (const [id, text] of next) {
      if (this.last.get(id) === text) continue;
      changed++;
      this.sink.put('trust', id, id === REVOKED_KEYS_KEY ? split.revokedKeys : split.agents.get(id));
    }
    for (const id of this.last.keys()) {
      if (next.has(id)) continue;
      changed++;
      this.sink.remove('trust', id);
    }
    this.last = next;
    return changed;
  }
}

function texts(snapshot: TrustStoreSnapshot): Map<string, string> {
  const split = splitTrust(snapshot);
  const out = new Map<string, string>();
  for (const [agentId, entry] of split.agents) out.set(agentId, JSON.stringify(entry));
  out.set(REVOKED_KEYS_KEY, JSON.stringify(split.revokedKeys));
  return out;
}

/** A lead_state write that is shared state, put into its bucket; others (mode, clock anchor) stay local. */
export function mirrorStateKey(sink: ChangeSink, trust: TrustDiff, modeOverrideKey: string, key: string, value: unknown): void {
  if (key === CONTROL_STATE_KEY) sink.put('control', CONTROL_KEYS.freeze, value);
  else if (key === modeOverrideKey) sink.put('control', CONTROL_KEYS.modeOverride, value ?? null);
  else if (key === BREAKERS_STATE_KEY) sink.put('breakers', BREAKERS_KEY, value);
  else if (key === TRUST_STATE_KEY) {
    const parsed = TrustStoreSnapshot.safeParse(value);
    if (parsed.success) trust.write(parsed.data);
  }
}

/** Everything of `kind` the local store holds, as KV changes (to fill an empty bucket). */
export function seedChanges(store: LeadStore, kind: Kind, modeOverrideKey: string): Array<[key: string, data: unknown]> {
  switch (kind) {
    case 'registry':
      return store.agents.loadAll().agents.map((agent) => [agent.agent_id, agent]);
    case 'enrollments':
      return store.enrollments.list().map((item) => [item.publicKey, item]);
    case 'quarantine':
      return (['held', 'resolved', 'released'] as const).flatMap((status) => store.quarantine.list(status, Number.MAX_SAFE_INTEGER).map((item): [string, unknown] => [kvKey(item.conflictId), item]));
    case 'trust': {
      const snapshot = store.state.get(TRUST_STATE_KEY, TrustStoreSnapshot);
      if (snapshot === undefined) return [];
      const split = splitTrust(snapshot);
      return [...split.agents, [REVOKED_KEYS_KEY, split.revokedKeys]];
    }
    case 'control': {
      const out: Array<[string, unknown]> = [];
      const control = store.state.get(CONTROL_STATE_KEY, StoredControl);
      if (control !== undefined) out.push([CONTROL_KEYS.freeze, control]);
      const override = store.state.get(modeOverrideKey, MeshMode.nullable());
      if (override !== undefined) out.push([CONTROL_KEYS.modeOverride, override]);
      return out;
    }
    case 'breakers': {
      const breakers = store.state.get(BREAKERS_STATE_KEY, StoredBreakers);
      return breakers === undefined ? [] : [[BREAKERS_KEY, breakers]];
    }
  }
}
