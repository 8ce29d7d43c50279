/** Node-only entry point (`@mesh30k/shared/node`): native Ed25519, key files, SQLite files judged and moved aside, systemd (notify, journald), prom-client helpers. */
import { nodeEd25519 } from './node-ed25519.js';
import type { NodeEd25519 } from './node-ed25519.js';

export { createNodeEd25519, nodeEd25519 } from './node-ed25519.js';
export { nodeHmacSha256 } from './node-hmac.js';
export { nodeSessionCrypto } from './node-session-crypto.js';
export type { NodeEd25519, NodeEd25519Options, NodeSigner } from './node-ed25519.js';
export {
  KEY_FILE_KTY,
  PRIVATE_KEY_FILE_MODE,
  PUBLIC_KEY_FILE_MODE,
  generateKeyFile,
  loadKeyPair,
  loadPublicKey,
  savePublicKey,
  saveKeyPair,
} from './key-files.js';
export type { KeyFileOptions, SaveKeyOptions } from './key-files.js';
export { attachDashValues } from './cli-args.js';
export { typedNkeys } from './nkeys.js';
export type { NkeyPair, Nkeys } from './nkeys.js';
export { JournaldPrefixStream, SYSLOG_PRIORITY, isJournalStream, journaldDestination, syslogPriority } from './journald.js';
export type { LineSink } from './journald.js';
export { inspectSqliteFile, moveAsideSqliteFile } from './sqlite-file.js';
export * from './metrics/index.js';
export type { SqliteFileState } from './sqlite-file.js';
export { SYSTEMD_NOTIFY_BINARY, createSystemdNotifier, startWatchdogPings, watchdogPingIntervalMs } from './systemd/index.js';
export type { NotifyProblem, ServiceNotifier, SystemdNotifier, SystemdNotifierOptions } from './systemd/index.js';
export type { FlagTable } from './cli-args.js';

/**
 * The Ed25519 a Node process should use: node:crypto, which is faster than WebCrypto in Node
 * (no promise or key-usage checks per call) and offers synchronous verify for worker threads.
 */
export const defaultNodeEd25519: NodeEd25519 = nodeEd25519;
