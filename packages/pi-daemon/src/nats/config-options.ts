import { readFileSync } from 'node:fs';
import { credsAuthenticator } from 'nats';
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

/** Supervisor options from the daemon's `nats` config block; reads the credentials file once. */
export function supervisorOptionsFrom(nats: AgentConfig['nats'], name: string): SupervisorOptions {
  const auth: NonNullable<SupervisorOptions['auth']> = {};
  if (nats.tls !== undefined) auth.tls = { caFile: nats.tls.ca_file, certFile: nats.tls.cert_file, keyFile: nats.tls.key_file };
  if (nats.user !== undefined && nats.pass !== undefined) {
    auth.user = nats.user;
    auth.pass = nats.pass;
  }
  if (nats.credentials_file !== undefined) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(nats.credentials_file);
    } catch (error) {
      throw new NatsConfigError('nats.credentials_file', `cannot read ${nats.credentials_file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    auth.authenticator = credsAuthenticator(creds);
  }
  return {
    servers: [...nats.servers],
    name,
    pingIntervalMs: nats.ping_interval_ms,
    maxPingOut: nats.max_pings_out,
    auth,
  };
}
