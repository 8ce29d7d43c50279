/** Runtime-neutral signing API: Ed25519 implementations, their selection, encodings, key ids. */
export type { Ed25519, KeyPair, PrivateKeyBytes, PublicKeyBytes, Signer, SyncSigner } from './types.js';
export { signsSync } from './types.js';
export {
  PRIVATE_KEY_LENGTH,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  assertKeyLength,
  bytesEqual,
  fromBase64Url,
  fromHex,
  hasLength,
  toBase64Url,
  toHex,
} from './encoding.js';
export { DEFAULT_KEY_CACHE_CAPACITY, KeyCache } from './key-cache.js';
export type { KeyCacheStats } from './key-cache.js';
export { nobleEd25519 } from './noble.js';
export { isValidPublicKey } from './public-key-check.js';
export { createWebCryptoEd25519, webCryptoEd25519 } from './webcrypto.js';
export type { WebCryptoEd25519, WebCryptoEd25519Options } from './webcrypto.js';
export { pickEd25519, selectEd25519, webCryptoSupportsEd25519 } from './default.js';
export { KEY_ID_LENGTH, keyId } from './key-id.js';
