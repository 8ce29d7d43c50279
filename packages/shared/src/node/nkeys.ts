/**
 * The nkeys library that the nats client ships (nkeys.js) is re-exported by `nats` without
 * types. These are the few calls the runtimes use, typed once; each runtime passes its own
 * `nats` import through `typedNkeys` (shared itself does not depend on the client).
 */

export interface NkeyPair {
  getPublicKey(): string;
  /** The seed as its text (SU... for a user), encoded. */
  getSeed(): Uint8Array;
}

export interface Nkeys {
  createUser(): NkeyPair;
  createAccount(): NkeyPair;
  fromSeed(seed: Uint8Array): NkeyPair;
  fromPublic(publicKey: string): NkeyPair;
}

export function typedNkeys(untyped: unknown): Nkeys {
  return untyped as Nkeys;
}
