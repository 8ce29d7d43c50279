/**
 * `mesh-lead nats-user ...`: edits the fleet's NATS description (nats-config/) and writes the
 * nats-server configs again. Each agent and lead gets its own nkey; the seed is written here
 * (or the owner keeps it and passes --public-key). nats-server picks up a changed config on
 * reload (`systemctl reload mesh-nats`), without dropping connected clients.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Id } from '@mesh30k/shared';
import { LeadError } from '../lib/errors.js';
import {
  FLEET_FILE,
  HUB_CONFIG_FILE,
  UserNkey,
  createNkeyIdentity,
  leafConfigFile,
  newSitePassword,
  parseFleet,
  readFleet,
  seedFile,
  writeNatsFiles,
  writeSeedFile,
  type Fleet,
} from '../nats-config/index.js';

export const NATS_USER_USAGE = `  mesh-lead nats-user add AGENT --lead LEAD [--site SITE] [--public-key U...] --dir DIR
  mesh-lead nats-user add-lead LEAD [--parent LEAD] [--public-key U...] --dir DIR
  mesh-lead nats-user add-site SITE --hub-url nats-leaf://HOST:7422 [--hub-ca FILE] --dir DIR
  mesh-lead nats-user remove ID --dir DIR
  mesh-lead nats-user server --dir DIR [--host H] [--port N] [--tls-cert F --tls-key F]
                             [--leaf-port N] [--monitor-port N]
      The broker's users: one nkey per agent and per lead, with subject permissions, and
      one leaf-node login per Pi site. DIR holds fleet.json, nats-server.conf, the sites'
      leaf-SITE.conf and users/ID.nk (seeds made here; without --public-key). Reload
      nats-server afterwards (systemctl reload mesh-nats).
`;

const OPTIONS = {
  dir: { type: 'string' },
  lead: { type: 'string' },
  site: { type: 'string' },
  parent: { type: 'string' },
  'public-key': { type: 'string' },
  'hub-url': { type: 'string', multiple: true },
  'hub-ca': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'leaf-port': { type: 'string' },
  'monitor-port': { type: 'string' },
} as const;

const RELOAD_HINT = 'Then reload nats-server: sudo systemctl reload mesh-nats\n';

function usage(message: string): never {
  throw new LeadError('USAGE', `nats-user: ${message}`);
}

function checkedId(text: string | undefined, what: string): string {
  if (text === undefined) usage(`${what} is required`);
  if (!Id.safeParse(text).success) usage(`${what} must be 1-64 letters, digits, "_" or "-" (got "${text}")`);
  return text;
}

function port(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) usage(`--${flag} must be a port number (got "${text}")`);
  return value;
}

interface NewIdentity {
  id: string;
  nkey: string;
  /** Set when made here; written to DIR/users/ID.nk once the changed fleet is valid. */
  seed: string | undefined;
}

/** A public key given by its owner, or a fresh identity. */
function identityFor(id: string, publicKey: string | undefined): NewIdentity {
  if (publicKey !== undefined) {
    if (!UserNkey.safeParse(publicKey).success) usage(`--public-key must be a NATS user public nkey (U...), got "${publicKey}"`);
    return { id, nkey: publicKey, seed: undefined };
  }
  const identity = createNkeyIdentity();
  return { id, nkey: identity.publicKey, seed: identity.seed };
}

export async function natsUserCommand(argv: readonly string[]): Promise<string> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new LeadError('USAGE', `nats-user: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const { values } = parsed;
  const [action = '', target, ...rest] = parsed.positionals;
  if (rest.length > 0) usage(`unexpected argument "${rest[0]}"`);
  const dir = values.dir ?? usage('--dir is required (the NATS directory, <mesh-lead init dir>/nats)');
  const fleet: Fleet = await readFleet(dir);
  let note = '';
  let made: NewIdentity | undefined;

  switch (action) {
    case 'add': {
      const id = checkedId(target, 'the agent id');
      const lead = checkedId(values.lead, '--lead');
      made = identityFor(id, values['public-key']);
      fleet.agents.push({ id, lead, nkey: made.nkey, ...(values.site === undefined ? {} : { site: checkedId(values.site, '--site') }) });
      note = `In ${id}'s agent.json: "nats": { ..., "nkey_seed_file": "/var/lib/mesh30k/nats.nk" } (mode 0600, owner mesh).\n`;
      break;
    }
    case 'add-lead': {
      const id = checkedId(target, 'the lead id');
      made = identityFor(id, values['public-key']);
      fleet.leads.push({ id, nkey: made.nkey, ...(values.parent === undefined ? {} : { parent: checkedId(values.parent, '--parent') }) });
      note = `In the lead config: "nats": { ..., "nkey_seed_file": "<that file>" }.\n`;
      break;
    }
    case 'add-site': {
      const id = checkedId(target, 'the site id');
      const hubUrls = values['hub-url'] ?? usage('--hub-url is required (nats-leaf://lead-host:7422)');
      fleet.sites.push({ id, password: newSitePassword(), hub_urls: hubUrls, listen: { host: '0.0.0.0', port: 4222 }, ...(values['hub-ca'] === undefined ? {} : { hub_ca_file: values['hub-ca'] }) });
      note = `Copy ${join(dir, leafConfigFile(id))} to the site's gateway Pi as /etc/mesh30k/nats/mesh-leaf.conf (group nats, mode 0640): it holds the site's login.\n`;
      break;
    }
    case 'remove': {
      const id = checkedId(target, 'the id');
      const before = fleet.agents.length + fleet.leads.length + fleet.sites.length;
      fleet.agents = fleet.agents.filter((agent) => agent.id !== id);
      fleet.leads = fleet.leads.filter((lead) => lead.id !== id);
      fleet.sites = fleet.sites.filter((site) => site.id !== id);
      if (fleet.agents.length + fleet.leads.length + fleet.sites.length === before) usage(`no agent, lead or site "${id}" in ${dir}`);
      break;
    }
    case 'server': {
      if (target !== undefined) usage(`unexpected argument "${target}"`);
      const server = fleet.server;
      if (values.host !== undefined) server.listen.host = values.host;
      server.listen.port = port(values.port, 'port') ?? server.listen.port;
      if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) usage('--tls-cert and --tls-key go together');
      if (values['tls-cert'] !== undefined && values['tls-key'] !== undefined) server.tls = { cert_file: values['tls-cert'], key_file: values['tls-key'] };
      const leafPort = port(values['leaf-port'], 'leaf-port');
      if (leafPort !== undefined) server.leafnodes = { listen: { host: server.listen.host, port: leafPort }, ...(server.tls === undefined ? {} : { tls: server.tls }) };
      const monitorPort = port(values['monitor-port'], 'monitor-port');
      if (monitorPort !== undefined) server.monitor_port = monitorPort;
      break;
    }
    default:
      usage(`unknown action "${action}"; one of add, add-lead, add-site, remove, server`);
  }
  // Refuse a bad change (a taken id, an unknown lead) before any file is written.
  parseFleet(fleet, join(dir, FLEET_FILE));
  if (made?.seed !== undefined) {
    const path = join(dir, seedFile(made.id));
    await writeSeedFile(path, made.seed);
    note = `Wrote ${made.id}'s nkey seed to ${path} (mode 0600): copy it to its host (scp), then delete it here.\n${note}`;
  }
  const written = await writeNatsFiles(dir, fleet);
  return `${note}Wrote ${written.join(', ')}.\n${written.some((file) => file.endsWith(HUB_CONFIG_FILE)) ? RELOAD_HINT : ''}`;
}
