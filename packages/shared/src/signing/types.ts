/**
 * The signing interface every tier uses. Signatures cover the exact bytes that travel; the
 * signature and the signer id travel beside those bytes (NATS or HTTP headers), never inside.
 */

/** Raw 32-byte Ed25519 public key. */
export type PublicKeyBytes = Uint8Array;
/** Raw 32-byte Ed25519 private key (the RFC 8032 seed). */
export type PrivateKeyBytes = Uint8Array;

export interface KeyPair {
  publicKey: PublicKeyBytes;
  privateKey: PrivateKeyBytes;
}

/** One Ed25519 implementation (node:crypto, WebCrypto or @noble/ed25519). */
export interface Ed25519 {
  readonly name: 'node' | 'webcrypto' | 'noble';
  generateKeyPair(): Promise<KeyPair>;
  publicKeyFromPrivate(privateKey: PrivateKeyBytes): Promise<PublicKeyBytes>;
  /** A signer bound to one private key; the key is imported once. */
  signer(privateKey: PrivateKeyBytes): Promise<Signer>;
  /**
   * Verifies a signature. Never throws: malformed keys or signatures give false.
   * Public keys are imported once and cached by their bytes.
   */
  verify(publicKey: PublicKeyBytes, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

export interface Signer {
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** A signer that can also sign without a promise (node:crypto): a release can sign in the instant it happens. */
export interface SyncSigner extends Signer {
  signSync(message: Uint8Array): Uint8Array;
}

/** True when `signer` signs synchronously too. */
export function signsSync(signer: Signer): signer is SyncSigner {
  return typeof (signer as Partial<SyncSigner>).signSync === 'function';
}
