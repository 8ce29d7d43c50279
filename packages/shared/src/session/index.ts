/** Session-keyed heartbeats (docs/adr/0004): key exchange, tags, the replay window. No I/O. */
export { ReplayWindow, REPLAY_WINDOW_SIZE, type WindowVerdict } from './replay-window.js';
export { createWebCryptoHmac, tagsEqual, type HmacSha256, type SyncHmacSha256 } from './hmac.js';
export { SESSION_KEY_BYTES, deriveSessionKeys, newEphemeral, newNonce, transcriptHash, webSessionCrypto, type Ephemeral, type SessionBinding, type SessionCrypto, type SessionKeys } from './session-keys.js';
export { TAG_BYTES, checkSessionTag, sessionTag, sessionTagSync, tagInput } from './session-tag.js';
export { AgentHandshake, acceptHello } from './session-handshake.js';
