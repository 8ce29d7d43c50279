import { SIGNATURE_HEADER, SIGNER_HEADER, ok } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import { describe, expect, it } from 'vitest';
import type { BusMessage } from './bus.js';
import { UNTRUSTED_REPLY, checkKind, encodeFrame, parseUnsignedRefusal, requestConfirmed, verifyOn } from './frames.js';
import type { Bus } from './bus.js';

function asMessage(data: Uint8Array, headers: Record<string, string>): BusMessage {
  return { subject: 's', data, arrivedAt: 0, headers: { get: (name) => headers[name] }, respond: () => false };
}

describe('frames', () => {
  it('puts the signature and signer in headers and verifies them on the way in', async () => {
    const keys = await nodeEd25519.generateKeyPair();
    const message = sampleMessage('COORDINATE', { sender: 'lead-1', at: Date.now() });
    const frame = await encodeFrame(message, { id: 'lead-1', signer: nodeEd25519.signerSync(keys.privateKey) });
    expect(Object.keys(frame.headers).sort()).toEqual([SIGNATURE_HEADER, SIGNER_HEADER].sort());
    const verified = await verifyOn('coordinateGroup', asMessage(frame.data, frame.headers), { ed25519: nodeEd25519, resolveKey: () => ok(keys.publicKey) });
    expect(verified.ok && verified.value.message.message_id).toBe(message.message_id);
    // A kind the subject does not carry is refused even when correctly signed.
    const refused = await verifyOn('control', asMessage(frame.data, frame.headers), { ed25519: nodeEd25519, resolveKey: () => ok(keys.publicKey) });
    expect(!refused.ok && refused.error.code).toBe('UNKNOWN_KIND');
  });

  it('refuses to send a kind on a subject that does not carry it', () => {
    expect(() => checkKind('ack', 'HEARTBEAT')).toThrow(TypeError);
    expect(() => checkKind('heartbeat', 'HEARTBEAT')).not.toThrow();
  });

  describe('requestConfirmed: acts only on a REPLY the lead signed for this request', () => {
    const request = sampleMessage('ACK', { sender: 'agent-1', at: Date.now() });
    const route = { family: 'ack' as const, id: 'lead-1' };
    const reply = (overrides: Record<string, unknown>) =>
      sampleMessage('REPLY', { sender: 'lead-1', at: Date.now(), overrides: { in_reply_to: request.message_id, to: 'agent-1', ok: true, code: undefined, message: undefined, ...overrides } });

    async function rig() {
      const lead = await nodeEd25519.generateKeyPair();
      const agent = await nodeEd25519.generateKeyPair();
      const rigged = { answer: (): Promise<{ data: Uint8Array; headers: Record<string, string> }> => Promise.reject(new Error('no answer set')) };
      const bus = { connected: true, request: async () => { const r = await rigged.answer(); return asMessage(r.data, r.headers); } } as unknown as Bus;
      const peer = {
        bus,
        self: { id: 'agent-1', signer: nodeEd25519.signerSync(agent.privateKey) },
        ed25519: nodeEd25519,
        resolveKey: (id: string) => (id === 'lead-1' ? ok(lead.publicKey) : { ok: false as const, error: { code: 'NOT_ENROLLED' as const, message: id } }),
        peerId: 'lead-1',
        timeoutMs: 100,
      };
      return { rigged, peer, lead: { id: 'lead-1', signer: nodeEd25519.signerSync(lead.privateKey) }, agent: peer.self };
    }

    it('takes the lead\'s signed verdict, confirmation or refusal', async () => {
      const { rigged, peer, lead } = await rig();
      rigged.answer = () => encodeFrame(reply({}), lead);
      expect(await requestConfirmed(peer, route, request)).toEqual({ ok: true });
      rigged.answer = () => encodeFrame(reply({ ok: false, code: 'LATE', message: 'finished' }), lead);
      expect(await requestConfirmed(peer, route, request)).toEqual({ ok: false, code: 'LATE', message: 'finished' });
    });

    it('refuses an unsigned answer, one signed by another peer, and one for another request', async () => {
      const { rigged, peer, lead, agent } = await rig();
      rigged.answer = () => Promise.resolve({ data: new TextEncoder().encode('{"ok":true}'), headers: {} });
      expect(await requestConfirmed(peer, route, request)).toMatchObject({ ok: false, code: UNTRUSTED_REPLY });
      rigged.answer = () => encodeFrame(reply({ sender_id: 'agent-1' }), agent);
      expect(await requestConfirmed(peer, route, request)).toMatchObject({ ok: false, code: UNTRUSTED_REPLY });
      rigged.answer = () => encodeFrame(reply({ in_reply_to: 'someone-elses-request' }), lead);
      expect(await requestConfirmed(peer, route, request)).toMatchObject({ ok: false, code: UNTRUSTED_REPLY });
      rigged.answer = () => encodeFrame(reply({ to: 'agent-2' }), lead);
      expect(await requestConfirmed(peer, route, request)).toMatchObject({ ok: false, code: UNTRUSTED_REPLY });
    });
  });
});

describe('unsigned refusals', () => {
  const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
  it('reads the code, message and a retry_after_ms the lead sheds load with', () => {
    expect(parseUnsignedRefusal(bytes({ ok: false, code: 'OVERLOADED', message: 'busy', retry_after_ms: 5_000 }))).toEqual({ ok: false, code: 'OVERLOADED', message: 'busy', retryAfterMs: 5_000 });
    expect(parseUnsignedRefusal(bytes({ ok: false, code: 'BAD_SIGNATURE', message: 'no' }))).toEqual({ ok: false, code: 'BAD_SIGNATURE', message: 'no' });
    expect(parseUnsignedRefusal(bytes({ ok: false, code: 'OVERLOADED', message: 'busy', retry_after_ms: 'soon' }))).not.toHaveProperty('retryAfterMs');
  });
});
