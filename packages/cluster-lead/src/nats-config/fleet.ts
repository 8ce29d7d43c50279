/**
 * The fleet as the broker sees it: who may connect (one NATS nkey per lead and per agent,
 * one leaf-node login per Pi site) and where the server listens. The nats-server configs are
 * generated from this one description (render.ts), which `mesh-lead nats-user` edits.
 */
import { Id } from '@mesh30k/shared';
import { nkeys } from './nkeys.js';
import { z } from 'zod';

/** `agent` is the token under which per-agent subjects live (mesh.agent.<id>.*): no lead may take it. */
const RESERVED_LEAD_IDS = new Set(['agent']);

function isUserNkey(text: string): boolean {
  try {
    return nkeys.fromPublic(text).getPublicKey() === text && text.startsWith('U');
  } catch {
    return false;
  }
}

/** A NATS user public nkey (U..., 56 characters, checksummed). */
export const UserNkey = z.string().refine(isUserNkey, 'must be a NATS user public nkey (U followed by 55 base32 characters)');
const Port = z.number().int().min(1).max(65_535);
const FilePath = z.string().min(1).max(4096);

const ServerTls = z.strictObject({
  cert_file: FilePath,
  key_file: FilePath,
  /** Set to verify client certificates too (mutual TLS); nkeys already authenticate clients. */
  ca_file: FilePath.optional(),
});

const Listener = (port: number) =>
  z.strictObject({
    host: z.string().min(1).max(255).default('0.0.0.0'),
    port: Port.default(port),
  });

/** A JetStream KV bucket name (the lead config's `ha.bucket`). */
const KvBucket = z.string().min(1).max(64).regex(/^[-_a-zA-Z0-9]+$/, 'a KV bucket name: letters, digits, - and _');
/** A part of a bucket or stream name (the lead config's store.jetstream.prefix, a cluster id). */
const BucketPart = z.string().regex(/^[-_a-zA-Z0-9]{1,32}$/, 'a KV bucket name part: 1-32 letters, digits, - and _');
const LeadEntry = z.strictObject({
  id: Id,
  nkey: UserNkey,
  parent: Id.optional(),
  /** Set for a lead with config `ha`: its lease bucket. */
  ha_bucket: KvBucket.optional(),
  /**
   * Set for a lead with `store.backend: "jetstream"`: its config's `store.jetstream.prefix` and
   * `cluster_id`, naming the state buckets and operation streams of its lead group, which it
   * may then create, write and follow (and no others).
   */
  jetstream_store: z
    .strictObject({
      prefix: BucketPart.default('mesh'),
      cluster_id: BucketPart,
    })
    .optional(),
});
const AgentEntry = z.strictObject({
  id: Id,
  lead: Id,
  nkey: UserNkey,
  /** The Pi site whose gateway (a leaf node) this agent connects to; none: the hub directly. */
  site: Id.optional(),
});

const SiteEntry = z.strictObject({
  id: Id,
  /** The leaf connection's password on the hub (the Debian nats-server, 2.9, has no nkeys for leaf remotes). */
  password: z.string().regex(/^[A-Za-z0-9_-]{24,128}$/, 'must be 24-128 characters of [A-Za-z0-9_-]'),
  /** How the gateway reaches the hub's leaf-node port: nats-leaf://host:7422 (TLS when the hub has it). */
  hub_urls: z.array(z.string().regex(/^nats-leaf:\/\/[^/@\s]+$/, 'must be nats-leaf://host:port, without credentials')).min(1),
  /** Where the gateway's own server listens for the site's agents. */
  listen: Listener(4222).prefault({}),
  /** CA file on the gateway that verifies the hub's leaf-node certificate. */
  hub_ca_file: FilePath.optional(),
});

export const FleetSchema = z
  .strictObject({
    server: z
      .strictObject({
        name: Id.default('mesh-hub'),
        listen: Listener(4222).prefault({}),
        tls: ServerTls.optional(),
        /** nats-server's monitoring endpoint, bound to loopback. */
        monitor_port: Port.optional(),
        /** JetStream on the hub (needed by leads with `ha_bucket` or `jetstream_store`); absent: none. */
        jetstream: z.strictObject({ store_dir: FilePath }).optional(),
        /** Where Pi-site gateways connect; absent: no leaf nodes. */
        leafnodes: z.strictObject({ listen: Listener(7422).prefault({}), tls: ServerTls.optional() }).optional(),
      })
      .prefault({}),
    leads: z.array(LeadEntry).default([]),
    agents: z.array(AgentEntry).default([]),
    sites: z.array(SiteEntry).default([]),
  })
  .superRefine((fleet, ctx) => {
    const owners = new Map<string, string>();
    const claim = (id: string, path: (string | number)[], what: string): void => {
      const other = owners.get(id);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path, message: `${what} "${id}" is also ${other}: ids share one inbox namespace and must be unique` });
      else owners.set(id, `${what} ${path.join('.')}`);
    };
    const keys = new Map<string, string>();
    const keyOnce = (nkey: string, path: (string | number)[]): void => {
      const other = keys.get(nkey);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path, message: `this nkey is already used by ${other}` });
      else keys.set(nkey, path.join('.'));
    };
    const leadIds = new Set(fleet.leads.map((lead) => lead.id));
    const siteIds = new Set(fleet.sites.map((site) => site.id));
    fleet.leads.forEach((lead, i) => {
      if (RESERVED_LEAD_IDS.has(lead.id)) ctx.addIssue({ code: 'custom', path: ['leads', i, 'id'], message: `"${lead.id}" is reserved by the subject layout` });
      claim(lead.id, ['leads', i, 'id'], 'lead');
      keyOnce(lead.nkey, ['leads', i, 'nkey']);
      if (lead.parent !== undefined && !leadIds.has(lead.parent)) ctx.addIssue({ code: 'custom', path: ['leads', i, 'parent'], message: `no lead "${lead.parent}" in leads` });
    });
    fleet.agents.forEach((agent, i) => {
      claim(agent.id, ['agents', i, 'id'], 'agent');
      keyOnce(agent.nkey, ['agents', i, 'nkey']);
      if (!leadIds.has(agent.lead)) ctx.addIssue({ code: 'custom', path: ['agents', i, 'lead'], message: `no lead "${agent.lead}" in leads` });
      if (agent.site !== undefined && !siteIds.has(agent.site)) ctx.addIssue({ code: 'custom', path: ['agents', i, 'site'], message: `no site "${agent.site}" in sites` });
    });
    fleet.sites.forEach((site, i) => claim(`leaf-${site.id}`, ['sites', i, 'id'], 'site'));
    if (fleet.sites.length > 0 && fleet.server.leafnodes === undefined) {
      ctx.addIssue({ code: 'custom', path: ['server', 'leafnodes'], message: 'sites need the hub to listen for leaf nodes' });
    }
  });

export type Fleet = z.output<typeof FleetSchema>;
export type FleetInput = z.input<typeof FleetSchema>;
export type FleetLead = Fleet['leads'][number];
export type FleetAgent = Fleet['agents'][number];
export type FleetSite = Fleet['sites'][number];
