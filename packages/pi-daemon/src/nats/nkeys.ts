/**
 * The nkeys library that the nats client ships (nkeys.js), re-exported by `nats` without
 * types: the few calls used here, typed.
 */
import { nkeys as untyped } from 'nats';

export interface NkeyPair {
  getPublicKey(): string;
  /** The seed as its text (SU... for a user), encoded. */
  getSeed(): Uint8Array;
}

export const nkeys = untyped as {
  createUser(): NkeyPair;
  createAccount(): NkeyPair;
  fromSeed(seed: Uint8Array): NkeyPair;
  fromPublic(publicKey: string): NkeyPair;
};
