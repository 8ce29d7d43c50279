/**
 * The NATS side of `mesh-lead init`: a first fleet description with the lead alone in it, the
 * secured nats-server config generated from it (nats-config/: authentication by nkey, subject
 * permissions, TLS and the leaf-node port when given), the lead's nkey seed, and how the lead
 * and the agents reach the broker. Pure: init writes the files.
 *
 * Layout (the one docs/deploy.md and deploy/lead/mesh-nats.service use, DIR = /etc/mesh30k):
 *   DIR/nats/fleet.json, DIR/nats/nats-server.conf   what `mesh-lead nats-user --dir DIR/nats` edits
 *   DIR/lead-nats.nk                                 the lead's NATS login (nats.nkey_seed_file)
 */
import type { LeadConfigInput } from '../config/index.js';
import { FLEET_FILE, HUB_CONFIG_FILE, createNkeyIdentity, parseFleet, renderHubConfig, type FleetInput } from '../nats-config/index.js';

export const NATS_DIR = 'nats';
export const LEAD_SEED_FILE = 'lead-nats.nk';
/** Where docs/deploy.md installs an agent's seed and the mesh CA on a Pi. */
const AGENT_SEED_PATH = '/var/lib/mesh30k/nats.nk';
const AGENT_CA_PATH = '/etc/mesh30k/ca.pem';

export interface NatsSetupInput {
  /** Absolute path of the init directory (file names below are relative to it). */
  dir: string;
  leadId: string;
  /** Where nats-server listens for clients, e.g. 127.0.0.1 and 4222 (0.0.0.0: every address). */
  host: string;
  port: number;
  /** Where Pi-site gateways connect (leaf nodes); absent: none. */
  leafPort?: number | undefined;
  /** The server's certificate and key; absent: no TLS (keep the broker on loopback then). */
  tls?: { cert: string; key: string } | undefined;
  /** The CA the lead (and agents) verify the server's certificate with; absent: the system's. */
  caFile?: string | undefined;
}

export interface NatsSetupFile {
  name: string;
  content: string;
  /** nats-server.conf and fleet.json are read by the nats user through the group (0640). */
  mode: number;
}

export interface NatsSetup {
  readonly files: readonly NatsSetupFile[];
  /** The lead config's `nats` section. */
  readonly leadNats: LeadConfigInput['nats'];
  /** What an agent's config needs to reach the broker (`nats` section of agent.json). */
  readonly agentNats: { servers: string[]; tls?: { ca_file: string }; nkey_seed_file: string };
  /** The directory `mesh-lead nats-user --dir` takes. */
  readonly natsDir: string;
  readonly configPath: string;
  /** The command that starts the broker with the generated config. */
  readonly startCommand: string;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

function url(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function natsSetup(input: NatsSetupInput): NatsSetup {
  const lead = createNkeyIdentity();
  const tls = input.tls === undefined ? undefined : { cert_file: input.tls.cert, key_file: input.tls.key };
  const fleetInput: FleetInput = {
    server: {
      listen: { host: input.host, port: input.port },
      ...(tls === undefined ? {} : { tls }),
      ...(input.leafPort === undefined ? {} : { leafnodes: { listen: { host: input.host, port: input.leafPort }, ...(tls === undefined ? {} : { tls }) } }),
    },
    leads: [{ id: input.leadId, nkey: lead.publicKey }],
  };
  const natsDir = `${input.dir}/${NATS_DIR}`;
  const fleet = parseFleet(fleetInput, `${natsDir}/${FLEET_FILE}`);
  const scheme = tls === undefined ? 'nats' : 'tls';
  // The lead runs on the broker's host: a wildcard listener is reached on loopback (the
  // certificate must name 127.0.0.1 then, as docs/deploy.md's does).
  const leadHost = WILDCARD_HOSTS.has(input.host) ? '127.0.0.1' : input.host;
  const agentHost = WILDCARD_HOSTS.has(input.host) ? '<lead-host>' : input.host;
  const seedPath = `${input.dir}/${LEAD_SEED_FILE}`;
  const configPath = `${natsDir}/${HUB_CONFIG_FILE}`;
  return {
    files: [
      { name: `${NATS_DIR}/${FLEET_FILE}`, content: `${JSON.stringify(fleet, null, 2)}\n`, mode: 0o640 },
      { name: `${NATS_DIR}/${HUB_CONFIG_FILE}`, content: renderHubConfig(fleet), mode: 0o640 },
      { name: LEAD_SEED_FILE, content: `${lead.seed}\n`, mode: 0o600 },
    ],
    leadNats: {
      servers: [url(scheme, leadHost, input.port)],
      ...(input.caFile === undefined ? {} : { tls: { ca_file: input.caFile } }),
      nkey_seed_file: seedPath,
    },
    agentNats: {
      servers: [url(scheme, agentHost, input.port)],
      ...(input.caFile === undefined ? {} : { tls: { ca_file: AGENT_CA_PATH } }),
      nkey_seed_file: AGENT_SEED_PATH,
    },
    natsDir,
    configPath,
    startCommand: `nats-server -c ${configPath}`,
  };
}
