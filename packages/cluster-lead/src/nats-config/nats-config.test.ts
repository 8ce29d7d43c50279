import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LeadError } from '../lib/errors.js';
import { agentPermissions, createNkeyIdentity, leadPermissions, parseFleet, readNkeySeed, renderHubConfig, renderLeafConfig, sitePermissions, writeNatsFiles, type FleetInput } from './index.js';

const lead = createNkeyIdentity();
const child = createNkeyIdentity();
const agent = createNkeyIdentity();
const dir = mkdtempSync(join(tmpdir(), 'mesh30k-nats-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fleet = (): FleetInput => ({
  leads: [
    { id: 'lead-1', nkey: lead.publicKey },
    { id: 'lead-2', nkey: child.publicKey, parent: 'lead-1' },
  ],
  agents: [{ id: 'pi-1', lead: 'lead-2', nkey: agent.publicKey }],
});

function problems(input: unknown): string[] {
  try {
    parseFleet(input, 'fleet.json');
  } catch (error) {
    if (error instanceof LeadError) return error.message.split('\n');
    throw error;
  }
  return [];
}

describe('the fleet description', () => {
  it('names each wrong field', () => {
    const input = fleet();
    input.agents = [
      { id: 'pi-1', lead: 'lead-9', nkey: agent.publicKey },
      { id: 'pi-2', lead: 'lead-1', nkey: 'UNOTAKEY' },
    ];
    expect(problems(input)).toEqual([
      'fleet.json: agents.1.nkey: must be a NATS user public nkey (U followed by 55 base32 characters)',
      'fleet.json: agents.0.lead: no lead "lead-9" in leads',
    ]);
    const clash = fleet();
    clash.agents = [{ id: 'lead-2', lead: 'lead-1', nkey: agent.publicKey }];
    expect(problems(clash)[0]).toContain('agents.0.id: agent "lead-2" is also lead leads.1.id');
    expect(problems({ leads: [{ id: 'agent', nkey: lead.publicKey }] })[0]).toContain('leads.0.id: "agent" is reserved');
    expect(problems({ ...fleet(), sites: [{ id: 's', password: 'x'.repeat(30), hub_urls: ['nats-leaf://h:7422'] }] })).toEqual([
      'fleet.json: server.leafnodes: sites need the hub to listen for leaf nodes',
    ]);
  });

  it('refuses one nkey for two users (the server could not tell them apart)', () => {
    const input = fleet();
    input.agents = [{ id: 'pi-1', lead: 'lead-1', nkey: lead.publicKey }];
    expect(problems(input)).toEqual(['fleet.json: agents.0.nkey: this nkey is already used by leads.0.nkey']);
  });
});

describe('permissions', () => {
  it('an agent publishes only to its own lead and reads only its own subjects, its lead\'s groups and its own replies', () => {
    expect(agentPermissions({ id: 'pi-1', lead: 'lead-2' })).toEqual({
      publish: ['mesh.lead-2.hb', 'mesh.lead-2.session', 'mesh.lead-2.ack', 'mesh.lead-2.conflict', 'mesh.lead-2.enroll', 'mesh.lead-2.sensor', 'mesh.lead-2.join', 'mesh.lead-2.announce'],
      subscribe: ['mesh.agent.pi-1.>', 'mesh.lead-2.coord', 'mesh.lead-2.ctl', 'mesh.lead-2.enroll', 'mesh.lead-2.leadkey', '_INBOX.pi-1.>'],
      allowResponses: true,
    });
  });

  it('a lead reaches its parent and its child leads, nothing of other leads', () => {
    const parsed = parseFleet(fleet(), 'fleet.json');
    const [root, below] = parsed.leads;
    expect(leadPermissions(root!, parsed).publish).toEqual(['mesh.lead-1.>', 'mesh.agent.>', 'mesh.lead-2.summary']);
    expect(leadPermissions(below!, parsed).publish).toEqual(['mesh.lead-2.>', 'mesh.agent.>', 'mesh.lead-1.summary', 'mesh.lead-1.conflict']);
    expect(leadPermissions(below!, parsed).subscribe).toEqual(['mesh.lead-2.>', '_INBOX.lead-2.>']);
  });

  it('an HA lead may use its own lease bucket (and its epochs beside it) and no other JetStream; an agent gets none', () => {
    const parsed = parseFleet({ ...fleet(), leads: fleet().leads!.map((lead, i) => (i === 0 ? { ...lead, ha_bucket: 'mesh_leases' } : lead)) }, 'fleet.json');
    const [ha, plain] = parsed.leads;
    const rights = leadPermissions(ha!, parsed).publish;
    expect(rights).toContain('$KV.mesh_leases.>');
    expect(rights).toContain('$JS.API.STREAM.CREATE.KV_mesh_leases');
    expect(rights).toContain('$KV.mesh_leases_epochs.>');
    expect(rights).toContain('$JS.API.STREAM.CREATE.KV_mesh_leases_epochs');
    expect(rights.filter((subject) => subject.startsWith('$JS.API.STREAM.') && !/\.KV_mesh_leases(_epochs)?$/.test(subject))).toEqual([]);
    expect(rights).not.toContain('$JS.API.>');
    expect(leadPermissions(plain!, parsed).publish.filter((subject) => subject.startsWith('$'))).toEqual([]);
    const agentRights = agentPermissions({ id: 'pi-1', lead: 'lead-1' });
    expect([...agentRights.publish, ...agentRights.subscribe].filter((subject) => subject.startsWith('$'))).toEqual([]);
  });

  it('a lead with jetstream_store may use its group\'s state buckets and operation streams only; an agent gets none', () => {
    const parsed = parseFleet({ ...fleet(), leads: fleet().leads!.map((lead, i) => (i === 0 ? { ...lead, jetstream_store: { cluster_id: 'cluster-1' } } : lead)) }, 'fleet.json');
    const [store, plain] = parsed.leads;
    const rights = leadPermissions(store!, parsed).publish;
    expect(rights).toContain('$KV.mesh_cluster-1_registry.>');
    expect(rights).toContain('$JS.API.STREAM.CREATE.KV_mesh_cluster-1_breakers');
    expect(rights).toContain('$JS.API.CONSUMER.MSG.NEXT.MESH_CLUSTER-1_SENSORS.>');
    expect(rights).toEqual(expect.arrayContaining(['mesh.cluster-1.ops.>', 'mesh.cluster-1.conflicts', 'mesh.cluster-1.deadletters.*', 'mesh.cluster-1.sensors.*.*']));
    const jetstream = rights.filter((subject) => subject.startsWith('$JS.API.STREAM.') || subject.startsWith('$JS.API.CONSUMER.'));
    expect(jetstream.filter((subject) => !/\.(KV_mesh_cluster-1_[a-z]+|MESH_CLUSTER-1_[A-Z]+)(\.>)?$/.test(subject))).toEqual([]);
    expect(rights.filter((subject) => subject.includes('DELETE.') && !subject.startsWith('$JS.API.CONSUMER.DELETE.'))).toEqual([]);
    expect(rights).not.toContain('$JS.API.>');
    expect(new Set(rights).size).toBe(rights.length);
    expect(leadPermissions(plain!, parsed).publish.filter((subject) => subject.startsWith('$') || subject.startsWith('mesh.cluster-1'))).toEqual([]);
    expect(problems({ ...fleet(), leads: [{ ...fleet().leads![0]!, jetstream_store: { cluster_id: 'a.b' } }], agents: [] })).toEqual(['fleet.json: leads.0.jetstream_store.cluster_id: a KV bucket name part: 1-32 letters, digits, - and _']);
  });

  it("a site carries its agents' rights once each, and may answer its leads' requests", () => {
    const rights = sitePermissions([
      { id: 'pi-1', lead: 'lead-1' },
      { id: 'pi-2', lead: 'lead-1' },
    ]);
    expect(rights.publish).toEqual(['mesh.lead-1.hb', 'mesh.lead-1.session', 'mesh.lead-1.ack', 'mesh.lead-1.conflict', 'mesh.lead-1.enroll', 'mesh.lead-1.sensor', 'mesh.lead-1.join', 'mesh.lead-1.announce', '_INBOX.lead-1.>']);
    expect(rights.subscribe).toContain('mesh.agent.pi-2.>');
    expect(rights.subscribe.filter((subject) => subject === 'mesh.lead-1.coord')).toHaveLength(1);
  });
});

describe('rendering', () => {
  it('is deterministic and quotes every string (no $ variable expansion)', () => {
    const parsed = parseFleet({ ...fleet(), server: { tls: { cert_file: '/etc/$x/c.pem', key_file: '/k.pem' }, monitor_port: 8222 } }, 'f');
    const text = renderHubConfig(parsed);
    expect(renderHubConfig(parsed)).toBe(text);
    expect(text).toContain('cert_file: "/etc/$x/c.pem"');
    expect(text).toContain('http: "127.0.0.1:8222"');
    expect(text).toContain(`nkey: "${agent.publicKey}"`);
    expect(text).not.toContain('leafnodes');
  });

  it('a leaf config for a site that does not exist is a bug in the caller', () => {
    expect(() => renderLeafConfig(parseFleet(fleet(), 'f'), 'nowhere')).toThrow(RangeError);
  });
});

describe('files', () => {
  it('writes the fleet and the configs without world access, and reads seeds back', async () => {
    const written = await writeNatsFiles(join(dir, 'nats'), fleet());
    expect(written.map((path) => path.slice(dir.length))).toEqual(['/nats/fleet.json', '/nats/nats-server.conf']);
    for (const path of written) expect(statSync(path).mode & 0o007).toBe(0);
    expect(JSON.parse(readFileSync(written[0]!, 'utf8'))).toMatchObject({ leads: [{ id: 'lead-1' }, { id: 'lead-2' }] });
    const seedPath = join(dir, 'seed.nk');
    writeFileSync(seedPath, `${agent.seed}\n`);
    expect(new TextDecoder().decode(readNkeySeed(seedPath, 'nats.nkey_seed_file'))).toBe(agent.seed);
    writeFileSync(seedPath, 'not a seed');
    expect(() => readNkeySeed(seedPath, 'nats.nkey_seed_file')).toThrow(/nats\.nkey_seed_file: .* does not hold a NATS user nkey seed/);
    expect(() => readNkeySeed(join(dir, 'missing'), 'nats.nkey_seed_file')).toThrow(/nats\.nkey_seed_file: cannot read/);
  });
});
