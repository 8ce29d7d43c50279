import { describe, expect, it } from 'vitest';
import { nobleEd25519 } from '../signing/noble.js';
import { sampleMessage } from '../testing/messages.js';
import { WIRE_LIMITS, checkPayload } from './limits.js';
import { Coordinate } from './messages.js';
import { encodeMessage } from './wire.js';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('wire limits', () => {
  it('accepts nesting up to the depth limit and refuses one more, even thousands deep, without recursion', () => {
    expect(checkPayload(nested(WIRE_LIMITS.maxPayloadDepth))).toMatchObject({ ok: true });
    expect(checkPayload(nested(WIRE_LIMITS.maxPayloadDepth + 1))).toMatchObject({ ok: false, limit: 'depth' });
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(checkPayload(deep)).toMatchObject({ ok: false, limit: 'depth', message: expect.stringContaining(String(WIRE_LIMITS.maxPayloadDepth)) });
  });

  it('counts object keys at every level', () => {
    const wide = Object.fromEntries(Array.from({ length: WIRE_LIMITS.maxPayloadKeys + 1 }, (_, i) => [`k${i}`, 0]));
    expect(checkPayload(wide)).toMatchObject({ ok: false, limit: 'keys' });
    expect(checkPayload([{ a: 1 }, { b: [{ c: 2 }] }])).toMatchObject({ ok: true });
  });

  it('measures the payload in UTF-8 bytes of its JSON and names the limit', () => {
    const max = WIRE_LIMITS.maxPayloadBytes;
    expect(checkPayload('x'.repeat(max - 2))).toEqual({ ok: true, bytes: max });
    expect(checkPayload('x'.repeat(max - 1))).toMatchObject({ ok: false, limit: 'bytes', message: expect.stringContaining(`limit is ${max}`) });
    // Three bytes each in UTF-8: under the limit in characters, over it in bytes.
    expect(checkPayload('€'.repeat(Math.ceil(max / 3)))).toMatchObject({ ok: false, limit: 'bytes' });
  });

  it('a COORDINATE with the largest payload, selector, capabilities and compensation still fits one frame', async () => {
    const id = 'x'.repeat(64);
    const selectorIds = Math.floor(WIRE_LIMITS.maxSelectorBytes / (id.length + 3));
    const worst: Coordinate = {
      ...sampleMessage('COORDINATE'),
      message_id: 'm'.repeat(128),
      sender_id: id,
      operation_id: id,
      payload: 'p'.repeat(WIRE_LIMITS.maxPayloadBytes - 2),
      requires_capabilities: Array.from({ length: 64 }, (_, i) => `${i}`.padEnd(64, 'c')),
      selector: { agent_ids: Array.from({ length: selectorIds }, () => id) },
      compensation: { [id]: { lead_time_ms: 86_400_000, expected_processing_ms: 86_400_000, confidence: 0.123456789, clock_offset_ms: -1234567890.123456 } },
    };
    expect(JSON.stringify(worst.selector).length).toBeLessThanOrEqual(WIRE_LIMITS.maxSelectorBytes);
    const signer = await nobleEd25519.signer((await nobleEd25519.generateKeyPair()).privateKey);
    const frame = await encodeMessage(worst, signer, id);
    expect(frame.body.byteLength).toBeLessThanOrEqual(WIRE_LIMITS.maxFrameBytes);
  });

  it('the schemas carry the limits: a COORDINATE payload nested too deep is invalid, and an oversized frame is never signed', async () => {
    const coordinate = sampleMessage('COORDINATE');
    const parsed = Coordinate.safeParse({ ...coordinate, payload: nested(5_000) });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['payload']);
    const signer = await nobleEd25519.signer((await nobleEd25519.generateKeyPair()).privateKey);
    // The schema check lets unknown keys through to the bytes, so this frame is over the limit.
    const padded = { ...sampleMessage('HEARTBEAT'), padding: 'x'.repeat(WIRE_LIMITS.maxFrameBytes) };
    await expect(encodeMessage(padded, signer, 'agent-1')).rejects.toMatchObject({ code: 'OVERSIZED', message: expect.stringContaining(String(WIRE_LIMITS.maxFrameBytes)) });
  });
});
