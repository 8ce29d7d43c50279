import type { Result, TrustStore, TrustedSigner } from '@mesh30k/shared';

/** What the lead asks of its trust store per message: one signer's trusted keys and enrollment. */
export interface TrustLookup {
  lookup(signerId: string): Result<TrustedSigner>;
}

interface Entry {
  version: number;
  /** The earliest moment one of its keys stops being trusted (expiry, end of a rotation overlap). */
  until: number;
  signer: TrustedSigner;
}

/**
 * The trust store's answers, kept per signer: a lookup builds, sorts and copies arrays, and
 * every heartbeat asked twice (its keys, then its enrollment). An answer stays good while the
 * store's version is unchanged (no enrollment, rotation, revocation, prune or restore since)
 * and none of its keys has reached the end of its trust; refusals are not kept.
 */
export class TrustCache implements TrustLookup {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly trust: TrustStore,
    private readonly now: () => number,
  ) {}

  lookup(signerId: string): Result<TrustedSigner> {
    const entry = this.entry(signerId);
    return entry === undefined ? this.trust.lookup(signerId) : { ok: true, value: entry.signer };
  }

  private entry(signerId: string): Entry | undefined {
    const version = this.trust.version;
    const cached = this.entries.get(signerId);
    if (cached !== undefined && cached.version === version && this.now() < cached.until) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const found = this.trust.lookup(signerId);
    if (!found.ok) {
      this.entries.delete(signerId);
      return undefined;
    }
    const signer = found.value;
    const entry: Entry = { version, until: Math.min(...signer.keys.map((key) => key.validUntil)), signer };
    this.entries.set(signerId, entry);
    return entry;
  }
}
