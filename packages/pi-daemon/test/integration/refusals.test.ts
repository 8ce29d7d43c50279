import { READY, SIGNATURE_HEADER, SIGNER_HEADER, TRANSIT, TRANSIT_REFUSAL, newMessageId, payloadHash, subjects } from '@mesh30k/shared';
import type { Ack, Coordinate } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNats, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import { waitFor } from '../support/deadline.js';
import { createTestMesh, type TestMesh } from '../support/fixtures.js';
import { MinimalLead } from '../support/minimal-lead.js';
import { startRealAgent, type RealAgent } from '../support/real-agent.js';

let nats: NatsServer;
let dir: TempDir;
let mesh: TestMesh;
let lead: MinimalLead;
let pi: RealAgent;
const subject = subjects.coordinateAgent('pi-1');

async function coordinate(overrides: Partial<Coordinate> = {}): Promise<Coordinate> {
  const payload = { probe: 1 };
  return {
    ...lead.header(),
    kind: 'COORDINATE',
    operation_id: `op-${newMessageId(lead.now()).slice(-8)}`,
    verb: 'observe',
    payload,
    payload_hash: await payloadHash(payload),
    payload_weight: 0,
    target_time: lead.now() + 200,
    release_mode: 'lead',
    arrival_window_ms: 500,
    priority: 1,
    requires_capabilities: [],
    selector: { agent_ids: ['pi-1'] },
    routing_strategy: 'direct',
    trinary_expectation: 1,
    ...overrides,
  };
}

/** Signs the bytes raw (the encoder refuses an oversized or invalid COORDINATE), as a lead with other limits would send them. */
async function publishSignedRaw(message: Coordinate, privateKey: Uint8Array = mesh.lead.privateKey): Promise<void> {
  const body = new TextEncoder().encode(JSON.stringify(message));
  const signature = Buffer.from(await nodeEd25519.signerSync(privateKey).sign(body)).toString('base64url');
  await lead.publishRaw(subject, body, { [SIGNER_HEADER]: mesh.leadId, [SIGNATURE_HEADER]: signature });
}

async function ackOf(operationId: string, what: string): Promise<Ack> {
  await lead.waitUntil(() => lead.ackFor(operationId, 'pi-1') !== undefined, 5_000, what);
  return lead.ackFor(operationId, 'pi-1')!;
}

const refused = (code: string): number => pi.agent.stats().refusedByCode[code] ?? 0;
const loggedRefusal = (code: string): boolean => pi.lines.some((l) => (l.event === 'message.refused' || l.event === 'coordinate.refused') && l.code === code);

beforeAll(async () => {
  nats = await startNats();
  dir = await makeTempDir();
  mesh = await createTestMesh();
  lead = await MinimalLead.start({ natsUrl: nats.url, leadId: mesh.leadId, keyPair: mesh.lead, trust: mesh.trust });
  pi = await startRealAgent({ mesh, natsUrl: nats.url, agentId: 'pi-1', dataDir: `${dir.path}/pi-1` });
  await waitFor(() => pi.agent.clock.samples() >= 1, 'clock sync');
});

afterAll(async () => {
  await pi.close();
  await lead.close();
  await nats.dispose();
  await dir.dispose();
});

describe('hostile or broken COORDINATEs', () => {
  it('refuses an unsigned one', async () => {
    const frame = await lead.sign(await coordinate());
    await lead.publishRaw(subject, frame.body, { [SIGNER_HEADER]: mesh.leadId });
    await waitFor(() => refused('UNSIGNED') === 1, 'UNSIGNED counted');
    expect(loggedRefusal('UNSIGNED')).toBe(true);
  });

  it('refuses one signed by another key under the lead id', async () => {
    const impostor = await nodeEd25519.generateKeyPair();
    const frame = await lead.sign(await coordinate(), { id: mesh.leadId, keyPair: impostor });
    await lead.publishRaw(subject, frame.body, frame.headers);
    await waitFor(() => refused('BAD_SIGNATURE') === 1, 'BAD_SIGNATURE counted');
    expect(loggedRefusal('BAD_SIGNATURE')).toBe(true);
  });

  it('refuses one whose signature was made for other bytes', async () => {
    const frame = await lead.sign(await coordinate());
    const other = await lead.sign(await coordinate());
    await lead.publishRaw(subject, frame.body, { ...frame.headers, [SIGNATURE_HEADER]: other.headers[SIGNATURE_HEADER]! });
    await waitFor(() => refused('BAD_SIGNATURE') === 2, 'second BAD_SIGNATURE counted');
  });

  it('refuses a replay of a frame it already acted on', async () => {
    const message = await coordinate();
    const frame = await lead.sign(message);
    await lead.publishRaw(subject, frame.body, frame.headers);
    await lead.waitUntil(() => lead.ackFor(message.operation_id, 'pi-1') !== undefined, 5_000, 'the first ACK');
    await lead.publishRaw(subject, frame.body, frame.headers);
    await waitFor(() => refused('REPLAYED') === 1, 'REPLAYED counted');
    expect(loggedRefusal('REPLAYED')).toBe(true);
    expect(lead.ackArrivals.filter((a) => a.operation_id === message.operation_id)).toHaveLength(1);
  });

  it('refuses an expired one', async () => {
    const old = lead.now() - 40_000;
    const frame = await lead.sign(await coordinate({ created_at: old, message_id: newMessageId(old), target_time: old + 200 }));
    await lead.publishRaw(subject, frame.body, frame.headers);
    await waitFor(() => refused('EXPIRED') === 1, 'EXPIRED counted');
    expect(loggedRefusal('EXPIRED')).toBe(true);
  });

  it('refuses malformed bodies: not JSON, and JSON that fails the schema', async () => {
    const signer = nodeEd25519.signerSync(mesh.lead.privateKey);
    const send = async (text: string): Promise<void> => {
      const body = new TextEncoder().encode(text);
      const signature = Buffer.from(await signer.sign(body)).toString('base64url');
      await lead.publishRaw(subject, body, { [SIGNER_HEADER]: mesh.leadId, [SIGNATURE_HEADER]: signature });
    };
    await send('{"kind": "COORDINATE", oops');
    await waitFor(() => refused('MALFORMED_JSON') === 1, 'MALFORMED_JSON counted');
    await send(JSON.stringify({ ...(await coordinate()), priority: 9 }));
    await waitFor(() => refused('INVALID_FIELDS') === 1, 'INVALID_FIELDS counted');
    expect(loggedRefusal('MALFORMED_JSON') && loggedRefusal('INVALID_FIELDS')).toBe(true);
  });

  it('refuses an oversized one', async () => {
    // Our own encoder refuses to sign a frame over the wire limit, so this one is signed raw,
    // as a lead with other limits (or a forger holding its key) would send it.
    const big = { blob: 'x'.repeat(70 * 1024) };
    const body = new TextEncoder().encode(JSON.stringify(await coordinate({ payload: big, payload_hash: await payloadHash(big) })));
    const signature = Buffer.from(await nodeEd25519.signerSync(mesh.lead.privateKey).sign(body)).toString('base64url');
    await lead.publishRaw(subject, body, { [SIGNER_HEADER]: mesh.leadId, [SIGNATURE_HEADER]: signature });
    await waitFor(() => refused('OVERSIZED') === 1, 'OVERSIZED counted');
    expect(loggedRefusal('OVERSIZED')).toBe(true);
  });

  it('answers an authentic oversized one TRANSIT FRAME_REFUSED, so the lead does not count a straggler', async () => {
    const big = { blob: 'x'.repeat(70 * 1024) };
    const message = await coordinate({ payload: big, payload_hash: await payloadHash(big) });
    const before = pi.agent.stats().declinedByCode.FRAME_REFUSED ?? 0;
    await publishSignedRaw(message);
    const ack = await ackOf(message.operation_id, 'the TRANSIT ACK');
    expect(ack).toMatchObject({ trinary_state: TRANSIT, coordinate_id: message.message_id, refusal: { code: TRANSIT_REFUSAL.FRAME_REFUSED } });
    expect(ack.refusal!.message).toMatch(/frame limit is 65536/);
    expect(pi.agent.stats().declinedByCode.FRAME_REFUSED).toBe(before + 1);
  });

  it('answers an unknown verb VERB_UNSUPPORTED and a field failing the schema FRAME_REFUSED', async () => {
    const verb = await coordinate({ verb: 'teleport' as Coordinate['verb'] });
    const weight = await coordinate({ payload_weight: 99 });
    await publishSignedRaw(verb);
    await publishSignedRaw(weight);
    const verbAck = await ackOf(verb.operation_id, 'the VERB_UNSUPPORTED ACK');
    const weightAck = await ackOf(weight.operation_id, 'the FRAME_REFUSED ACK');
    expect(verbAck).toMatchObject({ trinary_state: TRANSIT, refusal: { code: TRANSIT_REFUSAL.VERB_UNSUPPORTED } });
    expect(weightAck).toMatchObject({ trinary_state: TRANSIT, refusal: { code: TRANSIT_REFUSAL.FRAME_REFUSED } });
    expect(weightAck.refusal!.message).toMatch(/payload_weight/);
  });

  it('answers a sync whose payload fails the verb\'s schema PAYLOAD_INVALID', async () => {
    const payload = { nonsense: true };
    const message = await coordinate({ verb: 'sync', payload, payload_hash: await payloadHash(payload) });
    const frame = await lead.sign(message);
    await lead.publishRaw(subject, frame.body, frame.headers);
    const ack = await ackOf(message.operation_id, 'the PAYLOAD_INVALID ACK');
    expect(ack).toMatchObject({ trinary_state: TRANSIT, refusal: { code: TRANSIT_REFUSAL.PAYLOAD_INVALID } });
  });

  it('stays silent on a forged unrunnable one, and on one for another agent', async () => {
    const before = lead.ackArrivals.length;
    const impostor = await nodeEd25519.generateKeyPair();
    const forged = await coordinate({ verb: 'teleport' as Coordinate['verb'] });
    await publishSignedRaw(forged, impostor.privateKey);
    const elsewhere = await coordinate({ verb: 'teleport' as Coordinate['verb'], selector: { agent_ids: ['pi-2'] } });
    await publishSignedRaw(elsewhere);
    // A marker after both, on the same subject: once it is answered, the two before it were handled.
    const marker = await coordinate();
    const frame = await lead.sign(marker);
    await lead.publishRaw(subject, frame.body, frame.headers);
    await ackOf(marker.operation_id, 'the marker ACK');
    expect(lead.ackFor(forged.operation_id, 'pi-1')).toBeUndefined();
    expect(lead.ackFor(elsewhere.operation_id, 'pi-1')).toBeUndefined();
    expect(lead.ackArrivals.length - before).toBe(1);
  });

  it('keeps serving: a valid COORDINATE after all that is answered READY', async () => {
    const message = await coordinate();
    const frame = await lead.sign(message);
    await lead.publishRaw(subject, frame.body, frame.headers);
    await lead.waitUntil(() => lead.ackFor(message.operation_id, 'pi-1') !== undefined, 5_000, 'the ACK');
    expect(lead.ackFor(message.operation_id, 'pi-1')?.trinary_state).toBe(READY);
    // Only the replayed frame's original, the PAYLOAD_INVALID sync, the marker and this one were taken on.
    expect(pi.agent.stats().coordinatesAccepted).toBe(4);
  });
});
