import { PROTOCOL_VERSION, encodeMessage, newMessageId, publicKeyText, signRotation, subjects, type KeyRotation } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNats, verdictOf, type NatsServer } from '../../../../test/harness/index.js';
import { LeadFixture } from '../support/lead-fixture.js';

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats.dispose();
});

const OVERLAP_MS = 60_000;

describe('key rotation announced to the lead', () => {
  let fx: LeadFixture;
  afterEach(async () => {
    await fx.close();
  });

  it('trusts both keys during the overlap, then only the new one', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url });
    const agent = await fx.addAgent({ agentId: 'pi-rot' });
    expect((await agent.heartbeat()).reply.accepted).toBe(true);

    const oldKeys = agent.keys;
    const newKeys = await nodeEd25519.generateKeyPair();
    const now = fx.clock.now();
    const rotation = await signRotation(agent.signer, nodeEd25519.signerSync(newKeys.privateKey), {
      v: PROTOCOL_VERSION,
      agent_id: 'pi-rot',
      old_public_key: publicKeyText(oldKeys.publicKey),
      new_public_key: publicKeyText(newKeys.publicKey),
      effective_at: now,
      overlap_until: now + OVERLAP_MS,
    });
    if (!rotation.ok) throw rotation.error;
    const announcement: KeyRotation = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(now),
      sender_id: 'pi-rot',
      created_at: now,
      ttl_ms: 10_000,
      kind: 'KEY_ROTATION',
      rotation: rotation.value,
    };
    const answer = await agent.requestOn(subjects.enroll('lead-1'), await encodeMessage(announcement, agent.signer, 'pi-rot'));
    expect(verdictOf(answer.data)).toEqual({ ok: true });

    agent.useKeys(newKeys);
    expect((await agent.heartbeat()).reply.accepted).toBe(true);
    agent.useKeys(oldKeys);
    expect((await agent.heartbeat()).reply.accepted).toBe(true);

    fx.clock.advance(OVERLAP_MS);
    const late = await agent.heartbeat();
    expect(late.reply.accepted).toBe(false);
    expect(late.reply.reason).toMatch(/^BAD_SIGNATURE/);
    agent.useKeys(newKeys);
    expect((await agent.heartbeat()).reply.accepted).toBe(true);

    // Once the overlap is over the old key cannot announce anything, a rotation included.
    const again = await agent.requestOn(subjects.enroll('lead-1'), await encodeMessage({ ...announcement, message_id: newMessageId(fx.clock.now()) }, agent.signer, 'pi-rot'));
    expect(verdictOf(again.data)).toMatchObject({ ok: false });
  });
});
