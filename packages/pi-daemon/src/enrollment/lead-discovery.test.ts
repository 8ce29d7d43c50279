import { ManualClock, PROTOCOL_VERSION, issueEnrollment, keyId, publicKeyText, type KeyPair, type Role } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { describe, expect, it } from 'vitest';
import type { Bus, BusMessage } from '../nats/bus.js';
import { BusError } from '../nats/errors.js';
import { LeadDiscovery } from './lead-discovery.js';

const NOW = 1_800_000_000_000;

/** A bus whose only request (subjects.announce) answers with `answer` (changeable), or fails with NO_RESPONDERS. */
function announcingBus(answer: unknown): Bus & { asked: string[]; answer: unknown } {
  const asked: string[] = [];
  const reply = (data: Uint8Array): BusMessage => ({ subject: 'reply', data, headers: { get: () => undefined }, arrivedAt: 0, respond: () => false });
  const bus: Bus & { asked: string[]; answer: unknown } = {
    asked,
    answer,
    connected: true,
    publish: () => undefined,
    subscribe: () => () => undefined,
    onEvent: () => () => undefined,
    request: (subject: string) => {
      asked.push(subject);
      return bus.answer === undefined ? Promise.reject(new BusError('NO_RESPONDERS', 'nobody serves it')) : Promise.resolve(reply(new TextEncoder().encode(JSON.stringify(bus.answer))));
    },
  };
  return bus;
}

async function leadEnrollment(root: KeyPair, lead: KeyPair, fields: { agentId?: string; role?: Role } = {}) {
  const signed = await issueEnrollment(nodeEd25519.signerSync(root.privateKey), {
    v: PROTOCOL_VERSION,
    agent_id: fields.agentId ?? 'lead-1',
    public_key: publicKeyText(lead.publicKey),
    role: fields.role ?? 'lead',
    class: 'A',
    capabilities: [],
    cluster_id: 'cluster-1',
    issued_at: NOW - 1_000,
    expires_at: NOW + 86_400_000,
    issuer_key_id: await keyId(root.publicKey),
  });
  if (!signed.ok) throw signed.error;
  return signed.value;
}

function discovery(bus: Bus, roots: Uint8Array[], clock = new ManualClock(NOW)) {
  return new LeadDiscovery({ bus, ed25519: nodeEd25519, roots, leadId: 'lead-1', clock, timeoutMs: 100, rediscoverMs: 5_000 });
}

const text = (resolved: ReturnType<LeadDiscovery['resolve']>): string[] =>
  resolved.ok ? (Array.isArray(resolved.value) ? (resolved.value as Uint8Array[]) : [resolved.value as Uint8Array]).map((key) => publicKeyText(key)) : [];
const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe('LeadDiscovery', () => {
  it('learns the lead key from an enrollment signed by a pinned root, once', async () => {
    const root = await nodeEd25519.generateKeyPair();
    const lead = await nodeEd25519.generateKeyPair();
    const bus = announcingBus(await leadEnrollment(root, lead));
    const found = discovery(bus, [root.publicKey]);
    expect(found.resolve('lead-1').ok).toBe(false);
    expect(await found.ensure()).toEqual({ ok: true, learnt: true });
    const resolved = found.resolve('lead-1');
    expect(text(resolved)).toEqual([publicKeyText(lead.publicKey)]);
    expect(found.resolve('lead-2').ok).toBe(false);
    expect(await found.ensure()).toEqual({ ok: true, learnt: false });
    expect(bus.asked).toEqual(['mesh.lead-1.announce']);
  });

  it('refuses an announcement from another root, for another lead or role, and says when nobody answers', async () => {
    const root = await nodeEd25519.generateKeyPair();
    const lead = await nodeEd25519.generateKeyPair();
    const stranger = await nodeEd25519.generateKeyPair();
    expect(await discovery(announcingBus(await leadEnrollment(stranger, lead)), [root.publicKey]).ensure()).toMatchObject({ ok: false, code: 'BAD_ENROLLMENT_SIGNATURE' });
    expect(await discovery(announcingBus(await leadEnrollment(root, lead, { agentId: 'lead-9' })), [root.publicKey]).ensure()).toMatchObject({ ok: false, code: 'NOT_ENROLLED' });
    expect(await discovery(announcingBus(await leadEnrollment(root, lead, { role: 'agent' })), [root.publicKey]).ensure()).toMatchObject({ ok: false, code: 'NOT_ENROLLED' });
    expect(await discovery(announcingBus(undefined), [root.publicKey]).ensure()).toMatchObject({ ok: false, code: 'NO_RESPONDERS' });
  });

  it('asks again when a frame in the lead\'s name does not verify, at most once per rediscoverMs, and keeps both keys', async () => {
    const root = await nodeEd25519.generateKeyPair();
    const [leadA, leadB, leadC] = await Promise.all([nodeEd25519.generateKeyPair(), nodeEd25519.generateKeyPair(), nodeEd25519.generateKeyPair()]);
    const bus = announcingBus(await leadEnrollment(root, leadA));
    const clock = new ManualClock(NOW);
    const found = discovery(bus, [root.publicKey], clock);
    await found.ensure();
    // The standby (its own key) takes over: what it signs does not verify until the agent asks again.
    bus.answer = await leadEnrollment(root, leadB);
    expect(await found.ensure()).toEqual({ ok: true, learnt: false });
    expect(bus.asked).toHaveLength(1);
    clock.advance(5_000);
    found.doubt();
    expect(await found.ensure()).toEqual({ ok: true, learnt: true });
    expect(bus.asked).toHaveLength(2);
    expect(text(found.resolve('lead-1'))).toEqual([publicKeyText(leadB.publicKey), publicKeyText(leadA.publicKey)]);

    // Another doubt within the window is remembered, not asked at once.
    bus.answer = await leadEnrollment(root, leadC);
    clock.advance(1_000);
    found.doubt();
    await found.ensure();
    expect(bus.asked).toHaveLength(2);
    clock.advance(4_000);
    await found.ensure();
    expect(bus.asked).toHaveLength(3);
    expect(text(found.resolve('lead-1'))[0]).toBe(publicKeyText(leadC.publicKey));
    // No new doubt: no new question.
    clock.advance(60_000);
    await found.ensure();
    expect(bus.asked).toHaveLength(3);
  });

  it('refuses a key no pinned root enrolled, asked for or pushed, and keeps the keys it had', async () => {
    const root = await nodeEd25519.generateKeyPair();
    const lead = await nodeEd25519.generateKeyPair();
    const stranger = await nodeEd25519.generateKeyPair();
    const bus = announcingBus(await leadEnrollment(root, lead));
    const clock = new ManualClock(NOW);
    const found = discovery(bus, [root.publicKey], clock);
    await found.ensure();
    // A stranger answers the next question with an enrollment its own key signed.
    bus.answer = await leadEnrollment(stranger, stranger);
    found.doubt();
    expect(await found.ensure()).toEqual({ ok: true, learnt: false });
    clock.advance(5_000);
    expect(await found.ensure()).toMatchObject({ ok: false, code: 'BAD_ENROLLMENT_SIGNATURE' });
    expect(await found.offer(bytes(await leadEnrollment(stranger, stranger)))).toMatchObject({ ok: false, code: 'BAD_ENROLLMENT_SIGNATURE' });
    expect(await found.offer(bytes(await leadEnrollment(root, stranger, { role: 'agent' })))).toMatchObject({ ok: false, code: 'NOT_ENROLLED' });
    expect(await found.offer(new TextEncoder().encode('not json'))).toMatchObject({ ok: false, code: 'MALFORMED_JSON' });
    expect(text(found.resolve('lead-1'))).toEqual([publicKeyText(lead.publicKey)]);
  });

  it('learns a key pushed on subjects.leadKey without asking', async () => {
    const root = await nodeEd25519.generateKeyPair();
    const [leadA, leadB] = await Promise.all([nodeEd25519.generateKeyPair(), nodeEd25519.generateKeyPair()]);
    const bus = announcingBus(await leadEnrollment(root, leadA));
    const found = discovery(bus, [root.publicKey]);
    await found.ensure();
    expect(await found.offer(bytes(await leadEnrollment(root, leadB)))).toEqual({ ok: true, learnt: true });
    expect(await found.offer(bytes(await leadEnrollment(root, leadB)))).toEqual({ ok: true, learnt: false });
    expect(text(found.resolve('lead-1'))).toEqual([publicKeyText(leadB.publicKey), publicKeyText(leadA.publicKey)]);
    expect(bus.asked).toHaveLength(1);
  });
});
