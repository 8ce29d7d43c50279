import type { Clock } from '../lib/clock.js';
import { MeshError, err, ok } from '../lib/errors.js';
import type { Result } from '../lib/errors.js';
import type { PublicKeyBytes } from '../signing/types.js';
import type { EnrollmentRecord, VerifiedEnrollment } from './enrollment.js';
import { decodePublicKey } from './public-key.js';
import type { KeyRotationRecord, VerifiedRotation } from './rotation.js';
import { parseFields } from './signed-record.js';
import { TRUST_STORE_SNAPSHOT_VERSION, TrustStoreSnapshot } from './trust-store-snapshot.js';

/** A key the store trusts right now, with what its enrollment allows. */
export interface TrustedKey {
  readonly agentId: string;
  readonly publicKey: PublicKeyBytes;
  /** Canonical base64url of the key, as records carry it. */
  readonly publicKeyText: string;
  /**
   * What the mesh root enrolled (role, class, capabilities, cluster). A key that came in by
   * rotation carries the record of the key it replaced, with public_key set to itself.
   */
  readonly record: EnrollmentRecord;
  /** When trust ends: the enrollment's expiry or, for a rotated-out key, the end of its overlap. */
  readonly validUntil: number;
}

/** The answer for a signer id (an agent or lead id). */
export interface TrustedSigner extends TrustedKey {
  /** Every key of this signer trusted now, preferred first; two only during a rotation overlap. */
  readonly keys: readonly TrustedKey[];
}

export interface TrustStoreDeps {
  clock: Clock;
}

interface KeyEntry {
  record: EnrollmentRecord;
  publicKey: PublicKeyBytes;
  /** issued_at, or effective_at for a rotated-in key: among live keys the newest is preferred. */
  since: number;
  via: 'enrollment' | 'rotation';
  /** Set when the key was rotated out: the end of its overlap window. */
  retireAt: number | undefined;
  rotatedTo: string | undefined;
  revokedAt: number | undefined;
}

/**
 * The keys a lead (or agent) accepts signatures from. Pure and in memory: persistence is the
 * caller's, through snapshot() and restore(). Keys are indexed by their text and by agent id.
 */
export class TrustStore {
  private readonly clock: Clock;
  private keys = new Map<string, KeyEntry>();
  private byAgent = new Map<string, Set<string>>();
  /** Revoked keys the store never held an entry for, so their enrollments cannot add them later. */
  private revokedKeys = new Map<string, number>();
  /** Agent id -> revocation time: enrollments issued at or before it are refused. */
  private revokedAgents = new Map<string, number>();
  private changes = 0;

  constructor(deps: TrustStoreDeps) {
    this.clock = deps.clock;
  }

  /**
   * Counts every change to what the store trusts (an enrollment, rotation, revocation, prune or
   * restore): a cached lookup is good while this is unchanged and no key it holds has expired.
   */
  get version(): number {
    return this.changes;
  }

  /** Number of key entries held, trusted or not (see prune). */
  get size(): number {
    return this.keys.size;
  }

  /**
   * Adds a verified enrollment. Re-adding one is harmless; an older record never replaces a
   * newer one, and a replayed enrollment cannot undo a revocation or a rotation's retirement.
   */
  add(enrollment: VerifiedEnrollment): Result<TrustedKey> {
    const { record } = enrollment;
    const text = record.public_key;
    const existing = this.keys.get(text);
    if (this.revokedKeys.has(text) || existing?.revokedAt !== undefined) {
      return err(new MeshError('ENROLLMENT_REVOKED', `key ${text} of "${record.agent_id}" was revoked`, { path: 'public_key' }));
    }
    const agentRevokedAt = this.revokedAgents.get(record.agent_id);
    if (agentRevokedAt !== undefined && record.issued_at <= agentRevokedAt) {
      return err(
        new MeshError('ENROLLMENT_REVOKED', `"${record.agent_id}" was revoked at ${agentRevokedAt}; this enrollment was issued before that`, {
          path: 'issued_at',
        }),
      );
    }
    if (this.clock.now() >= record.expires_at) {
      return err(new MeshError('ENROLLMENT_EXPIRED', `enrollment of "${record.agent_id}" expired at ${record.expires_at}`, { path: 'expires_at' }));
    }
    if (existing && existing.record.agent_id !== record.agent_id) {
      return err(new MeshError('BAD_KEY', `key ${text} is already enrolled for "${existing.record.agent_id}"`, { path: 'public_key' }));
    }
    if (!existing || existing.record.issued_at < record.issued_at) {
      this.put({
        record,
        publicKey: enrollment.publicKey,
        since: record.issued_at,
        via: 'enrollment',
        retireAt: existing?.retireAt,
        rotatedTo: existing?.rotatedTo,
        revokedAt: undefined,
      });
    }
    return this.lookupKey(text);
  }

  /** The agent's preferred trusted key and all its trusted keys, or why it has none. */
  lookup(signerId: string): Result<TrustedSigner> {
    const texts = this.byAgent.get(signerId);
    if (!texts || texts.size === 0) {
      return err(new MeshError('NOT_ENROLLED', `"${signerId}" has no enrolled key`));
    }
    const now = this.clock.now();
    const trusted: KeyEntry[] = [];
    let problem: MeshError | undefined;
    for (const text of texts) {
      const entry = this.keys.get(text)!;
      const refusal = this.refusalFor(entry, text, now);
      if (!refusal) trusted.push(entry);
      // A revocation says more about the agent than an expiry does.
      else if (!problem || refusal.code === 'ENROLLMENT_REVOKED') problem = refusal;
    }
    if (trusted.length === 0) return err(problem!);
    trusted.sort(preferred);
    const keys = trusted.map(view);
    return ok({ ...keys[0]!, keys });
  }

  /** One key by its text, when it is enrolled, unexpired and unrevoked. */
  lookupKey(publicKeyText: string): Result<TrustedKey> {
    const entry = this.keys.get(publicKeyText);
    if (!entry) {
      return this.revokedKeys.has(publicKeyText)
        ? err(new MeshError('ENROLLMENT_REVOKED', `key ${publicKeyText} was revoked`))
        : err(new MeshError('NOT_ENROLLED', `key ${publicKeyText} is not enrolled`));
    }
    const refusal = this.refusalFor(entry, publicKeyText, this.clock.now());
    return refusal ? err(refusal) : ok(view(entry));
  }

  /**
   * Revokes every key of an agent, and refuses any enrollment of it issued at or before `at`:
   * an operator can still re-enroll the agent afterwards with a fresh enrollment.
   */
  revokeAgent(agentId: string, at: number = this.clock.now()): void {
    this.changes++;
    this.revokedAgents.set(agentId, Math.max(at, this.revokedAgents.get(agentId) ?? at));
    for (const text of this.byAgent.get(agentId) ?? []) this.revokeChain(text, at);
  }

  /**
   * Revokes one key, known or not, and every key rotated in under its signature, since
   * whoever holds a compromised key may have rotated to a key of their own.
   */
  revokeKey(publicKeyText: string, at: number = this.clock.now()): void {
    this.changes++;
    this.revokeChain(publicKeyText, at);
  }

  /**
   * Checks a rotation against the store: the old key is trusted now and belongs to the agent,
   * has not been rotated to another key, and the new key is neither revoked nor someone else's.
   */
  checkRotation(rotation: KeyRotationRecord): Result<void> {
    const old = this.lookupKey(rotation.old_public_key);
    if (!old.ok) return old;
    const oldEntry = this.keys.get(rotation.old_public_key)!;
    if (oldEntry.record.agent_id !== rotation.agent_id) {
      return err(badRotation(`old key belongs to "${oldEntry.record.agent_id}", not "${rotation.agent_id}"`, 'agent_id'));
    }
    if (oldEntry.rotatedTo !== undefined && oldEntry.rotatedTo !== rotation.new_public_key) {
      // Otherwise a stolen old key could rotate a second time during its overlap window.
      return err(badRotation('old key was already rotated to another key', 'old_public_key'));
    }
    const newEntry = this.keys.get(rotation.new_public_key);
    if (this.revokedKeys.has(rotation.new_public_key) || newEntry?.revokedAt !== undefined) {
      return err(badRotation('new key was revoked', 'new_public_key'));
    }
    if (newEntry && newEntry.record.agent_id !== rotation.agent_id) {
      return err(badRotation(`new key is enrolled for "${newEntry.record.agent_id}"`, 'new_public_key'));
    }
    return ok(undefined);
  }

  /**
   * Applies a verified rotation: the new key is trusted from now, with the old key's
   * enrollment (never a later expiry), and the old key stops at overlap_until. Idempotent.
   */
  applyRotation(rotation: VerifiedRotation): Result<TrustedKey> {
    const { record } = rotation;
    // Checked again: the store may have changed since the rotation was verified.
    const allowed = this.checkRotation(record);
    if (!allowed.ok) return allowed;
    const oldEntry = this.keys.get(record.old_public_key)!;
    this.changes++;
    if (oldEntry.rotatedTo === undefined) {
      oldEntry.rotatedTo = record.new_public_key;
      oldEntry.retireAt = record.overlap_until;
    }
    if (!this.keys.has(record.new_public_key)) {
      this.put({
        record: { ...oldEntry.record, public_key: record.new_public_key },
        publicKey: rotation.newPublicKey,
        since: record.effective_at,
        via: 'rotation',
        retireAt: undefined,
        rotatedTo: undefined,
        revokedAt: undefined,
      });
    }
    return this.lookupKey(record.new_public_key);
  }

  /**
   * Drops entries whose enrollment has expired: such an enrollment can no longer be verified,
   * so forgetting its key cannot let it back in. Returns how many were dropped.
   */
  prune(): number {
    const now = this.clock.now();
    let dropped = 0;
    for (const [text, entry] of this.keys) {
      if (now < entry.record.expires_at) continue;
      this.keys.delete(text);
      const agentKeys = this.byAgent.get(entry.record.agent_id);
      agentKeys?.delete(text);
      if (agentKeys?.size === 0) this.byAgent.delete(entry.record.agent_id);
      dropped++;
    }
    if (dropped > 0) this.changes++;
    return dropped;
  }

  /** Ids of the agents (role `agent`) with a key trusted now: those whose signed messages the store accepts. */
  *trustedAgentIds(): IterableIterator<string> {
    for (const agentId of this.byAgent.keys()) {
      const found = this.lookup(agentId);
      if (found.ok && found.value.record.role === 'agent') yield agentId;
    }
  }

  /** Plain, JSON-ready copy of the store's state, for the caller to persist. */
  snapshot(): TrustStoreSnapshot {
    return structuredClone({
      v: TRUST_STORE_SNAPSHOT_VERSION,
      keys: [...this.keys.values()].map((entry) => ({
        record: entry.record,
        since: entry.since,
        via: entry.via,
        retire_at: entry.retireAt ?? null,
        rotated_to: entry.rotatedTo ?? null,
        revoked_at: entry.revokedAt ?? null,
      })),
      revoked_keys: [...this.revokedKeys].map(([public_key, revoked_at]) => ({ public_key, revoked_at })),
      revoked_agents: [...this.revokedAgents].map(([agent_id, revoked_at]) => ({ agent_id, revoked_at })),
    });
  }

  /**
   * Replaces the store's state with a snapshot. The snapshot is trusted as the caller's own
   * storage (like the key files); it is validated for shape, not re-verified. On error the
   * store is unchanged.
   */
  restore(data: unknown): Result<void> {
    const parsed = parseFields(TrustStoreSnapshot, data, 'trust store snapshot');
    if (!parsed.ok) return parsed;
    const restored = new TrustStore({ clock: this.clock });
    for (const [index, item] of parsed.value.keys.entries()) {
      const text = item.record.public_key;
      if (restored.keys.has(text)) {
        return err(new MeshError('INVALID_FIELDS', `trust store snapshot lists key ${text} twice`, { path: `keys.${index}` }));
      }
      restored.put({
        record: item.record,
        // The schema admits only canonical 32-byte key texts.
        publicKey: decodePublicKey(text)!,
        since: item.since,
        via: item.via,
        retireAt: item.retire_at ?? undefined,
        rotatedTo: item.rotated_to ?? undefined,
        revokedAt: item.revoked_at ?? undefined,
      });
    }
    for (const { public_key, revoked_at } of parsed.value.revoked_keys) restored.revokedKeys.set(public_key, revoked_at);
    for (const { agent_id, revoked_at } of parsed.value.revoked_agents) restored.revokedAgents.set(agent_id, revoked_at);
    this.keys = restored.keys;
    this.byAgent = restored.byAgent;
    this.revokedKeys = restored.revokedKeys;
    this.revokedAgents = restored.revokedAgents;
    this.changes++;
    return ok(undefined);
  }

  private put(entry: KeyEntry): void {
    // Lookups hand the record out; freezing it keeps callers from editing what the root signed.
    Object.freeze(entry.record.capabilities);
    Object.freeze(entry.record);
    this.changes++;
    const text = entry.record.public_key;
    this.keys.set(text, entry);
    let agentKeys = this.byAgent.get(entry.record.agent_id);
    if (!agentKeys) this.byAgent.set(entry.record.agent_id, (agentKeys = new Set()));
    agentKeys.add(text);
  }

  private refusalFor(entry: KeyEntry, text: string, now: number): MeshError | undefined {
    const agent = entry.record.agent_id;
    if (entry.revokedAt !== undefined) {
      return new MeshError('ENROLLMENT_REVOKED', `key ${text} of "${agent}" was revoked at ${entry.revokedAt}`);
    }
    const until = validUntil(entry);
    if (now >= until) {
      const why = until === entry.record.expires_at ? 'enrollment expired' : 'key was rotated out; its overlap ended';
      return new MeshError('ENROLLMENT_EXPIRED', `key ${text} of "${agent}": ${why} at ${until}`);
    }
    return undefined;
  }

  private revokeChain(text: string, at: number): void {
    const visited = new Set<string>();
    let current: string | undefined = text;
    while (current !== undefined && !visited.has(current)) {
      visited.add(current);
      const entry = this.keys.get(current);
      if (!entry) {
        this.revokedKeys.set(current, Math.min(at, this.revokedKeys.get(current) ?? at));
        return;
      }
      entry.revokedAt = Math.min(at, entry.revokedAt ?? at);
      current = entry.rotatedTo;
    }
  }
}

function validUntil(entry: KeyEntry): number {
  return Math.min(entry.record.expires_at, entry.retireAt ?? Infinity);
}

function view(entry: KeyEntry): TrustedKey {
  return {
    agentId: entry.record.agent_id,
    publicKey: entry.publicKey,
    publicKeyText: entry.record.public_key,
    record: entry.record,
    validUntil: validUntil(entry),
  };
}

/** Keys not being rotated out first, then the newest. */
function preferred(a: KeyEntry, b: KeyEntry): number {
  const retiring = Number(a.rotatedTo !== undefined) - Number(b.rotatedTo !== undefined);
  return retiring !== 0 ? retiring : b.since - a.since;
}

function badRotation(message: string, path: string): MeshError {
  return new MeshError('BAD_ROTATION', `key rotation refused: ${message}`, { path });
}
