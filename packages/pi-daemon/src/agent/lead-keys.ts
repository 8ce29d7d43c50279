import { decodePublicKey, err, ok } from '@mesh30k/shared';
import type { KeyResolver, PublicKeyBytes, TrustStore } from '@mesh30k/shared';

/** Resolves signers from a fixed map of ids to keys (the pinned `lead_public_key`). */
export function pinnedKeyResolver(keys: ReadonlyMap<string, PublicKeyBytes>): KeyResolver {
  return (signerId) => {
    const key = keys.get(signerId);
    return key === undefined ? err({ code: 'UNKNOWN_SIGNER', message: `"${signerId}" is not a trusted signer here` }) : ok(key);
  };
}

/**
 * A resolver for one lead whose public key is pinned in the configuration (base64url text), or
 * whose keys are: each lead process of an HA group signs with its own, any of them verifies.
 */
export function pinnedLeadResolver(leadId: string, publicKeyTexts: string | readonly string[]): KeyResolver {
  const keys = (typeof publicKeyTexts === 'string' ? [publicKeyTexts] : publicKeyTexts).map((text) => {
    const key = decodePublicKey(text);
    if (key === undefined) throw new RangeError(`lead public key for "${leadId}" is not a canonical Ed25519 key`);
    return key;
  });
  if (keys.length === 0) throw new RangeError(`no lead public key pinned for "${leadId}"`);
  return (signerId) => (signerId === leadId ? ok(keys) : err({ code: 'UNKNOWN_SIGNER', message: `"${signerId}" is not a trusted signer here` }));
}

/** Resolves signers through a trust store of verified enrollments (rotation overlaps included). */
export function trustStoreResolver(store: TrustStore): KeyResolver {
  return (signerId) => {
    const found = store.lookup(signerId);
    if (!found.ok) return err({ code: found.error.code, message: found.error.message });
    return ok(found.value.keys.map((key) => key.publicKey));
  };
}
