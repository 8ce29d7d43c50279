import { readFileSync } from 'node:fs';
import { inboxPrefix } from '@mesh30k/shared';
import { credsAuthenticator, nkeyAuthenticator } from 'nats';
import { nkeys } from './nkeys.js';
import type { AgentConfig } from '../config/index.js';
import type { SupervisorOptions } from './supervisor-options.js';

/** Why building connection options from the config failed (a file named in it is unreadable). */
export class NatsConfigError extends Error {
  override readonly name = 'NatsConfigError';
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function readFileFor(field: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new NatsConfigError(field, `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The seed text of an nkey seed file, checked to be a user seed (SU...). */
function readNkeySeed(path: string): Uint8Array {
  const seed = new TextEncoder().encode(new TextDecoder().decode(readFileFor('nats.nkey_seed_file', path)).trim());
  try {
    if (nkeys.fromSeed(seed).getPublicKey().startsWith('U')) return seed;
  } catch {
    // reported below
  }
  throw new NatsConfigError('nats.nkey_seed_file', `${path} does not hold a NATS user nkey seed (SU...)`);
}

/**
 * Supervisor options from the daemon's `nats` config block; reads the credential files once.
 * `name` is the agent id: replies to its requests arrive under inboxPrefix(name), which the
 * generated broker permissions let only this agent read.
 */
export function supervisorOptionsFrom(nats: AgentConfig['nats'], name: string): SupervisorOptions {
  const auth: NonNullable<SupervisorOptions['auth']> = {};
  if (nats.tls !== undefined) auth.tls = { caFile: nats.tls.ca_file, certFile: nats.tls.cert_file, keyFile: nats.tls.key_file };
  if (nats.user !== undefined && nats.pass !== undefined) {
    auth.user = nats.user;
    auth.pass = nats.pass;
  }
  if (nats.credentials_file !== undefined) auth.authenticator = credsAuthenticator(readFileFor('nats.credentials_file', nats.credentials_file));
  if (nats.nkey_seed_file !== undefined) auth.authenticator = nkeyAuthenticator(readNkeySeed(nats.nkey_seed_file));
  return {
    servers: [...nats.servers],
    name,
    pingIntervalMs: nats.ping_interval_ms,
    maxPingOut: nats.max_pings_out,
    inboxPrefix: inboxPrefix(name),
    auth,
  };
}
