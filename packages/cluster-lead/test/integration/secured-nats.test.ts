// The generated nats-server configs (src/nats-config) on a real nats-server: TLS, one nkey per
// agent and lead, subject permissions, and a Pi site's leaf node relaying to the hub.
import { join } from 'node:path';
import { inboxPrefix, subjects } from '@mesh30k/shared';
import { Events, connect, nkeyAuthenticator, type NatsConnection, type Status } from 'nats';
import { nkeys } from '../../src/nats-config/nkeys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTempDir, makeTestCertificates, startNats, type NatsServer, type TempDir, type TestCertificates } from '../../../../test/harness/index.js';
import { HUB_CONFIG_FILE, createNkeyIdentity, leafConfigFile, newSitePassword, writeNatsFiles, type FleetInput, type NkeyIdentity } from '../../src/nats-config/index.js';

const LEAD = 'lead-1';
const OTHER_LEAD = 'lead-2';
const REQUEST_MS = 2_000;
/** How long the leaf connection may take to come up and carry interest to the hub. */
const LEAF_READY_MS = 10_000;

let dir: TempDir;
let certs: TestCertificates;
let hub: NatsServer;
let leaf: NatsServer;
const ids: Record<string, NkeyIdentity> = {};
const open: NatsConnection[] = [];

function identity(id: string): NkeyIdentity {
  ids[id] ??= createNkeyIdentity();
  return ids[id];
}

async function client(server: NatsServer, id: string, seed: string = identity(id).seed): Promise<NatsConnection> {
  const nc = await connect({
    servers: server.url,
    // The hub has TLS; a gateway serves its site's LAN in plain text (its uplink to the hub is TLS).
    ...(server === hub ? { tls: { caFile: certs.caFile } } : {}),
    authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
    inboxPrefix: inboxPrefix(id),
    name: id,
    reconnect: false,
  });
  open.push(nc);
  return nc;
}

/** Resolves with the first permission violation the server reports on this connection. */
async function nextViolation(nc: NatsConnection): Promise<Status> {
  for await (const status of nc.status()) {
    if (status.type === Events.Error && status.data === 'PERMISSIONS_VIOLATION') return status;
  }
  throw new Error('connection closed without a permissions violation');
}

/** The lead side: answers every heartbeat request on its subject with "ok". */
async function leadAnswering(): Promise<NatsConnection> {
  const lead = await client(hub, LEAD);
  lead.subscribe(subjects.heartbeat(LEAD), { callback: (_err, msg) => msg.respond(new TextEncoder().encode('ok')) });
  await lead.flush();
  return lead;
}

beforeAll(async () => {
  dir = await makeTempDir('mesh30k-secured-nats-');
  certs = await makeTestCertificates(dir.path);
  const tls = { cert_file: certs.certFile, key_file: certs.keyFile };
  const leafPort = await freePort();
  const fleet: FleetInput = {
    server: { listen: { host: '127.0.0.1' }, tls, leafnodes: { listen: { host: '127.0.0.1', port: leafPort }, tls } },
    leads: [
      { id: LEAD, nkey: identity(LEAD).publicKey },
      { id: OTHER_LEAD, nkey: identity(OTHER_LEAD).publicKey },
    ],
    agents: [
      { id: 'pi-a', lead: LEAD, nkey: identity('pi-a').publicKey },
      { id: 'pi-b', lead: LEAD, nkey: identity('pi-b').publicKey },
      { id: 'pi-site', lead: LEAD, nkey: identity('pi-site').publicKey, site: 'barn' },
    ],
    sites: [{ id: 'barn', password: newSitePassword(), hub_urls: [`nats-leaf://localhost:${leafPort}`], listen: { host: '127.0.0.1' }, hub_ca_file: certs.caFile }],
  };
  const natsDir = join(dir.path, 'nats');
  await writeNatsFiles(natsDir, fleet);
  // The harness adds -a/-p (a free client port); everything else comes from the generated file.
  hub = await startNats({ args: ['-c', join(natsDir, HUB_CONFIG_FILE)] });
  leaf = await startNats({ args: ['-c', join(natsDir, leafConfigFile('barn'))] });
}, 30_000);

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close()));
  await leaf?.dispose();
  await hub?.dispose();
  await dir?.dispose();
});

describe('the hub: TLS and one nkey per agent and lead', () => {
  it('an agent connects with its nkey and its heartbeat request reaches the lead, which answers with its own user', async () => {
    const lead = await leadAnswering();
    const agent = await client(hub, 'pi-a');
    const reply = await agent.request(subjects.heartbeat(LEAD), new Uint8Array(), { timeout: REQUEST_MS });
    expect(new TextDecoder().decode(reply.data)).toBe('ok');
    // Closed here, so later tests' own responders are the only ones on the subject.
    await lead.close();
  });

  it('the lead probes an agent on its own subject and gets the answer (allow_responses)', async () => {
    const agent = await client(hub, 'pi-b');
    agent.subscribe(subjects.probe('pi-b'), { callback: (_err, msg) => msg.respond(new TextEncoder().encode('pong')) });
    await agent.flush();
    const lead = await client(hub, LEAD);
    const reply = await lead.request(subjects.probe('pi-b'), new Uint8Array(), { timeout: REQUEST_MS });
    expect(new TextDecoder().decode(reply.data)).toBe('pong');
  });

  it('a wrong nkey (one the fleet does not list) is refused', async () => {
    const stranger = nkeys.createUser();
    await expect(client(hub, 'pi-a', new TextDecoder().decode(stranger.getSeed()))).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
  });

  it('a connection without the CA is refused (the server certificate is not trusted)', async () => {
    const attempt = connect({ servers: hub.url, authenticator: nkeyAuthenticator(new TextEncoder().encode(identity('pi-a').seed)), reconnect: false });
    await expect(attempt).rejects.toThrow();
  });
});

describe('the hub: subject permissions', () => {
  it('an agent may not publish as the lead to another agent', async () => {
    const agent = await client(hub, 'pi-a');
    const violation = nextViolation(agent);
    agent.publish(subjects.coordinateAgent('pi-b'), new Uint8Array());
    expect((await violation).permissionContext).toEqual({ operation: 'publish', subject: subjects.coordinateAgent('pi-b'), queue: undefined });
  });

  it("an agent may not publish on another lead's subjects", async () => {
    const agent = await client(hub, 'pi-a');
    const violation = nextViolation(agent);
    agent.publish(subjects.heartbeat(OTHER_LEAD), new Uint8Array());
    expect((await violation).permissionContext?.subject).toBe(subjects.heartbeat(OTHER_LEAD));
  });

  it("an agent may not subscribe to another agent's subjects or replies, nor to its lead's inbound traffic", async () => {
    const agent = await client(hub, 'pi-a');
    for (const subject of ['mesh.agent.pi-b.>', `${inboxPrefix('pi-b')}.>`, subjects.heartbeat(LEAD), 'mesh.>']) {
      const violation = nextViolation(agent);
      agent.subscribe(subject);
      expect((await violation).permissionContext).toMatchObject({ operation: 'subscription', subject });
    }
  });

  it('what the lead sends to one agent reaches that agent and no other', async () => {
    const a = await client(hub, 'pi-a');
    const b = await client(hub, 'pi-b');
    const seenByA: string[] = [];
    a.subscribe(subjects.coordinateAgent('pi-a'), { callback: (_err, msg) => seenByA.push(msg.subject) });
    const gotB = new Promise<string>((resolve) => b.subscribe(subjects.coordinateAgent('pi-b'), { callback: (_err, msg) => resolve(msg.subject) }));
    await Promise.all([a.flush(), b.flush()]);
    const lead = await client(hub, LEAD);
    lead.publish(subjects.coordinateAgent('pi-b'), new Uint8Array());
    expect(await gotB).toBe(subjects.coordinateAgent('pi-b'));
    // A round trip through the server after the publish: anything for pi-a would have arrived first.
    await a.flush();
    expect(seenByA).toEqual([]);
  });

  it("a lead may not publish on another lead's subjects", async () => {
    const lead = await client(hub, LEAD);
    const violation = nextViolation(lead);
    lead.publish(subjects.coordinateGroup(OTHER_LEAD), new Uint8Array());
    expect((await violation).permissionContext?.subject).toBe(subjects.coordinateGroup(OTHER_LEAD));
  });
});

describe('a Pi site: the gateway leaf node', () => {
  it('relays a site agent to the hub and back, with the agent logged in by its own nkey at the gateway', async () => {
    const lead = await client(hub, LEAD);
    lead.subscribe(subjects.heartbeat(LEAD), { callback: (_err, msg) => msg.respond(new TextEncoder().encode('ok from hub')) });
    await lead.flush();
    const agent = await client(leaf, 'pi-site');
    agent.subscribe(subjects.probe('pi-site'), { callback: (_err, msg) => msg.respond(new TextEncoder().encode('pong from site')) });
    await agent.flush();

    // The leaf connection comes up and carries interest on its own schedule: ask until it answers.
    const deadline = Date.now() + LEAF_READY_MS;
    let answer: string | undefined;
    while (answer === undefined) {
      try {
        answer = new TextDecoder().decode((await agent.request(subjects.heartbeat(LEAD), new Uint8Array(), { timeout: 250 })).data);
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
    expect(answer).toBe('ok from hub');
    const pong = await lead.request(subjects.probe('pi-site'), new Uint8Array(), { timeout: REQUEST_MS });
    expect(new TextDecoder().decode(pong.data)).toBe('pong from site');
  });

  it('a hub agent cannot log in at the gateway, and a site agent keeps its permissions there', async () => {
    await expect(client(leaf, 'pi-a')).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    const agent = await client(leaf, 'pi-site');
    const violation = nextViolation(agent);
    agent.subscribe('mesh.agent.pi-a.>');
    expect((await violation).permissionContext?.subject).toBe('mesh.agent.pi-a.>');
  });
});
