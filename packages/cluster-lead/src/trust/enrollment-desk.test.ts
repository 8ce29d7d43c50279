import { ManualClock, PROTOCOL_VERSION, createEnrollmentRequest, encodeMessage, newMessageId, publicKeyText, type EnrollRequest, type KeyPair } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { EventBus, type LeadEvent } from '../lib/events.js';
import { silentLogger } from '../lib/logger.js';
import { LeadStore } from '../store/index.js';
import { EnrollmentDesk } from './enrollment-desk.js';
import { setUpTrust } from './trust-setup.js';

const NOW = 1_800_000_000_000;

let dir: TempDir;
let store: LeadStore;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-desk-');
  store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
});
afterEach(async () => {
  store.close();
  await dir.dispose();
});

async function desk(options: { rootOnLead: boolean }) {
  const clock = new ManualClock(NOW);
  const root = await nodeEd25519.generateKeyPair();
  const { trust, roots } = await setUpTrust({ clock, store, logger: silentLogger() }, { rootPublicKeys: [publicKeyText(root.publicKey)], enrollmentsPath: undefined });
  const events = new EventBus();
  const seen: LeadEvent[] = [];
  events.on((event) => seen.push(event));
  const made = new EnrollmentDesk({ clock, store, trust, roots, events, logger: silentLogger(), leadId: 'lead-1', rootKey: options.rootOnLead ? root : undefined, leadEnrollment: undefined });
  return { desk: made, trust, clock, seen, root };
}

/** What an unenrolled agent publishes on subjects.join: signed by the key it asks to enroll. */
async function joinFrame(agentId: string, keys: KeyPair, options: { signWith?: KeyPair } = {}) {
  const keyText = publicKeyText(keys.publicKey);
  const request = await createEnrollmentRequest(nodeEd25519.signerSync(keys.privateKey), {
    v: PROTOCOL_VERSION,
    agent_id: agentId,
    public_key: keyText,
    role: 'agent',
    class: 'E',
    capabilities: ['gpio'],
    cluster_id: 'cluster-1',
    created_at: NOW,
  });
  if (!request.ok) throw request.error;
  const message: EnrollRequest = { v: PROTOCOL_VERSION, message_id: newMessageId(NOW), sender_id: keyText, created_at: NOW, ttl_ms: 30_000, kind: 'ENROLL_REQUEST', request: request.value };
  const frame = await encodeMessage(message, nodeEd25519.signerSync((options.signWith ?? keys).privateKey), keyText);
  return { body: frame.body, signerId: frame.signerId, signature: frame.signature };
}

describe('EnrollmentDesk', () => {
  it('lists a join request as pending once (one warn event), accepts it with the root key it holds, then answers accepted', async () => {
    const { desk: d, trust, seen } = await desk({ rootOnLead: true });
    const agent = await nodeEd25519.generateKeyPair();
    const frame = await joinFrame('pi-1', agent);
    expect(await d.handleJoin(frame)).toEqual({ ok: true, state: 'pending' });
    expect(await d.handleJoin(await joinFrame('pi-1', agent))).toEqual({ ok: true, state: 'pending' });
    expect(d.list('pending').map((e) => [e.agentId, e.requests])).toEqual([['pi-1', 2]]);
    expect(seen.filter((e) => e.name === 'enrollment.requested')).toHaveLength(1);
    expect(trust.lookup('pi-1').ok).toBe(false);

    const accepted = await d.accept('pi-1', { capabilities: [] }, 'cecilia');
    expect(accepted).toMatchObject({ ok: true, agentId: 'pi-1' });
    const enrolled = trust.lookup('pi-1');
    expect(enrolled.ok && enrolled.value.record).toMatchObject({ public_key: publicKeyText(agent.publicKey), capabilities: [], cluster_id: 'cluster-1' });
    expect(d.list()).toEqual([]);
    expect(seen.at(-1)).toMatchObject({ name: 'enrollment.accepted', agentId: 'pi-1', by: 'cecilia' });
    expect(await d.handleJoin(await joinFrame('pi-1', agent))).toEqual({ ok: true, state: 'accepted' });
    expect(await d.accept('pi-1', {}, undefined)).toMatchObject({ ok: false, code: 'NOT_PENDING' });
  });

  it('without the root key it cannot accept, and says how to sign elsewhere; a rejection sticks', async () => {
    const { desk: d } = await desk({ rootOnLead: false });
    const agent = await nodeEd25519.generateKeyPair();
    await d.handleJoin(await joinFrame('pi-2', agent));
    const refused = await d.accept('pi-2', {}, undefined);
    expect(refused).toMatchObject({ ok: false, code: 'ROOT_KEY_ABSENT' });
    expect(!refused.ok && refused.message).toContain('--root-key');
    expect(d.reject('pi-2', 'not ours', 'cecilia')).toMatchObject({ state: 'rejected', reason: 'not ours' });
    expect(await d.handleJoin(await joinFrame('pi-2', agent))).toEqual({ ok: true, state: 'rejected' });
    expect(d.list('pending')).toEqual([]);
    // A new key for the same id is a new request the operator must look at.
    expect(await d.handleJoin(await joinFrame('pi-2', await nodeEd25519.generateKeyPair()))).toEqual({ ok: true, state: 'pending' });
  });

  it('refuses a request signed by another key than the one it names', async () => {
    const { desk: d } = await desk({ rootOnLead: true });
    const agent = await nodeEd25519.generateKeyPair();
    const reply = await d.handleJoin(await joinFrame('pi-3', agent, { signWith: await nodeEd25519.generateKeyPair() }));
    expect(reply).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    expect(d.list()).toEqual([]);
  });
});
