import { decodePublicKey, err, ok } from '@mesh30k/shared';
import type { KeyResolver, PublicKeyBytes, TrustStore } from '@mesh30k/shared';

/** Resolves signers from a fixed map of ids to keys (the pinned `lead_public_key`). */
export function pinnedKeyResolver(keys: ReadonlyMap<string, PublicKeyBytes>): KeyResolver {
  return (signerId) => {
    const key = keys.get(signerId);
    return key === undefined ? err({ code: 'UNKNOWN_SIGNER', message: `"${signerId}" is not a trusted signer here` }) : ok(key);
  };
}

/** A resolver for one lead whose public key is pinned in the configuration (base64url text). */
export function pinnedLeadResolver(leadId: string, publicKeyText: string): KeyResolver {
  const key = decodePublicKey(publicKeyText);
  if (key === undefined) throw new RangeError(`lead public key for "${leadId}" is not a canonical Ed25519 key`);
  return pinnedKeyResolver(new Map([[leadId, key]]));
}

/** Resolves signers through a trust store of verified enrollments (rotation overlaps included). */
export function trustStoreResolver(store: TrustStore): KeyResolver {
  return (signerId) => {
    const found = store.lookup(signerId);
    if (!found.ok) return err({ code: found.error.code, message: found.error.message });
    return ok(found.value.keys.map((key) => key.publicKey));
  };
}
