import { PROTOCOL_VERSION, encodeMessage, newMessageId, publicKeyText, verifyAndParse, type Freeze } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { describe, expect, it } from 'vitest';
import { pinnedLeadResolver } from './lead-keys.js';

async function freezeSignedBy(privateKey: Uint8Array) {
  const now = Date.now();
  const message: Freeze = { v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: 'lead-1', created_at: now, ttl_ms: 30_000, kind: 'FREEZE', scope: 'global', reason: 'test' };
  return encodeMessage(message, nodeEd25519.signerSync(privateKey), 'lead-1');
}

describe('pinnedLeadResolver', () => {
  it('verifies what either pinned lead of an HA group signs, and nothing a third key signs', async () => {
    const [a, b, stranger] = await Promise.all([nodeEd25519.generateKeyPair(), nodeEd25519.generateKeyPair(), nodeEd25519.generateKeyPair()]);
    const resolveKey = pinnedLeadResolver('lead-1', [publicKeyText(a.publicKey), publicKeyText(b.publicKey)]);
    for (const keys of [a, b]) expect((await verifyAndParse(await freezeSignedBy(keys.privateKey), { ed25519: nodeEd25519, resolveKey })).ok).toBe(true);
    const refused = await verifyAndParse(await freezeSignedBy(stranger.privateKey), { ed25519: nodeEd25519, resolveKey });
    expect(!refused.ok && refused.error.code).toBe('BAD_SIGNATURE');
    expect(resolveKey('lead-2')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_SIGNER' } });
    expect(() => pinnedLeadResolver('lead-1', ['not-a-key'])).toThrow(RangeError);
  });
});
