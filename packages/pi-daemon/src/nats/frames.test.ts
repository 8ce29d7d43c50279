import { SIGNATURE_HEADER, SIGNER_HEADER, ok } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import { describe, expect, it } from 'vitest';
import type { BusMessage } from './bus.js';
import { checkKind, encodeFrame, parseConfirmation, verifyOn } from './frames.js';

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

  it('reads the lead\'s confirmations', () => {
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(parseConfirmation(text('{"ok":true}'))).toEqual({ ok: true });
    expect(parseConfirmation(text('{"ok":false,"code":"NOT_ENROLLED","message":"who?"}'))).toEqual({ ok: false, code: 'NOT_ENROLLED', message: 'who?' });
    expect(parseConfirmation(text('nope'))).toMatchObject({ ok: false, code: 'BAD_CONFIRMATION' });
  });
});
