/**
 * The NATS side of `mesh-lead init`: the nats-server configuration and how the lead connects to
 * it. One function, natsSetup(), so the secured generator (TLS, nkeys, subject permissions,
 * leaf nodes) can replace this minimal one without touching init.
 *
 * Minimal version: one listen address and no authentication. The server then only listens on
 * the address given (loopback by default); put the secured configuration in before agents on
 * other hosts connect.
 */
import type { LeadConfigInput } from '../config/index.js';

export interface NatsSetupInput {
  /** Absolute path of the init directory (files are written there). */
  dir: string;
  leadId: string;
  /** Where nats-server listens, e.g. 127.0.0.1 and 4222. */
  host: string;
  port: number;
}

export interface NatsSetup {
  /** Files for the init directory: name relative to it, written with mode 0600. */
  readonly files: readonly { name: string; content: string }[];
  /** The lead config's `nats` section. */
  readonly leadNats: LeadConfigInput['nats'];
  /** What an agent's config needs to reach the broker (`nats` section of agent.json). */
  readonly agentNats: { servers: string[] };
  /** The command that starts the broker with the generated config. */
  readonly startCommand: string;
}

export const NATS_CONFIG_FILE = 'nats-server.conf';

export function natsSetup(input: NatsSetupInput): NatsSetup {
  const url = `nats://${input.host.includes(':') ? `[${input.host}]` : input.host}:${input.port}`;
  const content = `# nats-server configuration for lead ${input.leadId}, written by mesh-lead init.
# Minimal: a listen address and no authentication. Keep it on loopback (or a private network)
# until the secured configuration (TLS, per-agent nkeys, subject permissions) replaces it.
listen: "${input.host}:${input.port}"
# A COORDINATE with its payload stays well under 64 KiB (shared's DEFAULT_MAX_MESSAGE_BYTES).
max_payload: 1MB
`;
  return {
    files: [{ name: NATS_CONFIG_FILE, content }],
    leadNats: { servers: [url] },
    agentNats: { servers: [url] },
    startCommand: `nats-server -c ${input.dir}/${NATS_CONFIG_FILE}`,
  };
}
