import { publicKeyText, type KeyPair } from '@mesh30k/shared';
import { loadKeyPair, nodeEd25519, type NodeSigner } from '@mesh30k/shared/node';
import { LeadError, describeError } from '../lib/errors.js';

/** The lead's own key: it signs heartbeat replies, probes and everything else the lead sends. */
export interface LeadIdentity {
  leadId: string;
  publicKey: Uint8Array;
  publicKeyText: string;
  /** Synchronous signer: a reply per heartbeat cannot afford a promise per signature. */
  signer: NodeSigner;
  /**
   * With config `ha`: the epoch of the lease held now (null when none), stamped on everything
   * the lead sends with authority (ha/lease-stamp.ts). Absent for a lead without HA.
   */
  leaseEpoch?: () => number | null;
}

export async function loadLeadIdentity(leadId: string, keyPath: string): Promise<LeadIdentity> {
  let keys: KeyPair;
  try {
    keys = await loadKeyPair(keyPath);
  } catch (cause) {
    throw new LeadError('KEY_UNREADABLE', `lead key ${keyPath}: ${describeError(cause)}`, { cause });
  }
  return {
    leadId,
    publicKey: keys.publicKey,
    publicKeyText: publicKeyText(keys.publicKey),
    signer: nodeEd25519.signerSync(keys.privateKey),
  };
}
