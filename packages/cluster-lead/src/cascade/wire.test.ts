import { PROTOCOL_VERSION, encodeMessage, newMessageId } from '@mesh30k/shared';
import type { KeyResolver, PublicKeyBytes, Reply } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { Msg } from 'nats';
import { beforeAll, describe, expect, it } from 'vitest';
import { UNTRUSTED_REPLY, frameHeaders, readCascadeReply } from './wire.js';

const NOW = 1_800_000_000_000;
const REQUEST_ID = newMessageId(NOW);

type Keys = { publicKey: PublicKeyBytes; signer: ReturnType<typeof nodeEd25519.signerSync> };
async function keys(): Promise<Keys> {
  const pair = await nodeEd25519.generateKeyPair();
  return { publicKey: pair.publicKey, signer: nodeEd25519.signerSync(pair.privateKey) };
}

/** What readCascadeReply reads of a NATS message: its bytes and headers. */
function msgOf(data: Uint8Array, headers?: Msg['headers']): Msg {
  return { data, headers } as unknown as Msg;
}

function reply(over: Partial<Reply> = {}): Reply {
  return { v: PROTOCOL_VERSION, message_id: newMessageId(NOW + 1), sender_id: 'child', created_at: NOW, ttl_ms: 30_000, kind: 'REPLY', in_reply_to: REQUEST_ID, to: 'root', ok: true, ...over };
}

describe('readCascadeReply: only the peer lead\'s signed REPLY to this request counts', () => {
  let child: Keys;
  let stranger: Keys;
  let resolveKey: KeyResolver;
  const check = () => ({ ed25519: nodeEd25519, resolveKey, peerId: 'child', selfId: 'root', requestId: REQUEST_ID });
  const signed = async (message: Reply, by: Keys = child, signerId = 'child'): Promise<Msg> => {
    const frame = await encodeMessage(message, by.signer, signerId);
    return msgOf(frame.body, frameHeaders(frame));
  };

  beforeAll(async () => {
    child = await keys();
    stranger = await keys();
    const known = new Map([['child', child.publicKey], ['other-child', stranger.publicKey]]);
    resolveKey = (id) => (known.has(id) ? { ok: true, value: known.get(id)! } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } });
  });

  it('reads the confirmation, admission and T on the child\'s clock included', async () => {
    const answer = await readCascadeReply(await signed(reply({ cascade: { admission: 'started', target_time_local: NOW + 500 } })), check());
    expect(answer).toEqual({ ok: true, admission: 'started', target_time_local: NOW + 500 });
  });

  it('passes on a signed refusal with its code', async () => {
    const answer = await readCascadeReply(await signed(reply({ ok: false, code: 'NO_CLOCK_OFFSET', message: 'no exchange yet' })), check());
    expect(answer).toEqual({ ok: false, code: 'NO_CLOCK_OFFSET', message: 'no exchange yet' });
  });

  it('refuses the old unsigned JSON confirmation', async () => {
    const answer = await readCascadeReply(msgOf(new TextEncoder().encode('{"ok":true,"admission":"started"}')), check());
    expect(answer).toMatchObject({ ok: false, code: UNTRUSTED_REPLY });
  });

  it('refuses a reply whose signature is not the named signer\'s (forged)', async () => {
    const answer = await readCascadeReply(await signed(reply(), stranger, 'child'), check());
    expect(answer.ok).toBe(false);
    expect(answer.ok ? '' : `${answer.code} ${answer.message}`).toMatch(/^UNTRUSTED_REPLY .*BAD_SIGNATURE/);
  });

  it('refuses another trusted lead\'s reply, one to another lead and one to another request', async () => {
    const cases = [
      await signed(reply({ sender_id: 'other-child' }), stranger, 'other-child'),
      await signed(reply({ to: 'someone-else' })),
      await signed(reply({ in_reply_to: newMessageId(NOW - 5) })),
    ];
    for (const msg of cases) expect(await readCascadeReply(msg, check())).toMatchObject({ ok: false, code: UNTRUSTED_REPLY });
  });
});
