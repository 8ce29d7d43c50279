import { pickEd25519, type Ed25519, type KeyResolver, type Signer } from '@mesh30k/shared';
import type { EdgeConfig } from '../config/config.js';

/** The keys of one Worker agent: its own signer and the leads it trusts. */
export interface KeyRing {
  ed25519: Ed25519;
  signer: Signer;
  resolveKey: KeyResolver;
}

/**
 * Builds the key ring from the configuration (secrets, never the bundle). WebCrypto Ed25519
 * in workerd, @noble/ed25519 where WebCrypto lacks it; the private key is imported once.
 */
export async function createKeyRing(config: EdgeConfig, ed25519?: Ed25519): Promise<KeyRing> {
  const impl = ed25519 ?? (await pickEd25519());
  const signer = await impl.signer(config.agentPrivateKey);
  const resolveKey: KeyResolver = (signerId) => {
    const keys = config.leadKeys.get(signerId);
    return keys && keys.length > 0
      ? { ok: true, value: keys }
      : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: `signer "${signerId}" is not a lead this agent trusts` } };
  };
  return { ed25519: impl, signer, resolveKey };
}
