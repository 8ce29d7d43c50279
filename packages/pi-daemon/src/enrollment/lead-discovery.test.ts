import { ManualClock, PROTOCOL_VERSION, issueEnrollment, keyId, publicKeyText, type KeyPair, type Role } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { describe, expect, it } from 'vitest';
import type { Bus, BusMessage } from '../nats/bus.js';
import { BusError } from '../nats/errors.js';
import { LeadDiscovery } from './lead-discovery.js';

const NOW = 1_800_000_000_000;

/** A bus whose only request (subjects.announce) answers with `answer`, or fails with NO_RESPONDERS. */
function announcingBus(answer: unknown): Bus & { asked: string[] } {
  const asked: string[] = [];
  const reply = (data: Uint8Array): BusMessage => ({ subject: 'reply', data, headers: { get: () => undefined }, arrivedAt: 0, respond: () => false });
  return {
    asked,
    connected: true,
    publish: () => undefined,
    subscribe: () => () => undefined,
    onEvent: () => () => undefined,
    request: (subject) => {
      asked.push(subject);
      return answer === undefined ? Promise.reject(new BusError('NO_RESPONDERS', 'nobody serves it')) : Promise.resolve(reply(new TextEncoder().encode(JSON.stringify(answer))));
    },
  };
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

function discovery(bus: Bus, roots: Uint8Array[]) {
  return new LeadDiscovery({ bus, ed25519: nodeEd25519, roots, leadId: 'lead-1', clock: new ManualClock(NOW), timeoutMs: 100 });
}

describe('LeadDiscovery', () => {
  it('learns the lead key from an enrollment signed by a pinned root, once', async () => {
    const root = await nodeEd25519.generateKeyPair();
    const lead = await nodeEd25519.generateKeyPair();
    const bus = announcingBus(await leadEnrollment(root, lead));
    const found = discovery(bus, [root.publicKey]);
    expect(found.resolve('lead-1').ok).toBe(false);
    expect(await found.ensure()).toEqual({ ok: true, learnt: true });
    const resolved = found.resolve('lead-1');
    expect(resolved.ok && publicKeyText(resolved.value as Uint8Array)).toBe(publicKeyText(lead.publicKey));
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
});
