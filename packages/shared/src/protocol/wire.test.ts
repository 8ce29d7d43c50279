import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { ReplayGuard } from '../replay/replay-guard.js';
import { fromBase64Url, toBase64Url } from '../signing/encoding.js';
import { nobleEd25519 } from '../signing/noble.js';
import { signsSync, type KeyPair, type PublicKeyBytes, type Signer, type SyncSigner } from '../signing/types.js';
import { SAMPLE_TIME, sampleMessage } from '../testing/messages.js';
import { MESSAGE_KINDS, type MeshMessage } from './messages.js';
import { DEFAULT_MAX_MESSAGE_BYTES, encodeMessage, encodeMessageSync, verifyAndParse, type IncomingFrame, type KeyResolver, type VerifyOptions } from './wire.js';

const ed = nobleEd25519;
let agentKeys: KeyPair;
let agentSigner: Signer;
let otherSigner: Signer;
const keys = new Map<string, PublicKeyBytes>();

const resolveKey: KeyResolver = (id) => {
  const key = keys.get(id);
  return key ? { ok: true, value: key } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: `no enrolled key for "${id}"` } };
};
const options: VerifyOptions = { ed25519: ed, resolveKey };

beforeAll(async () => {
  agentKeys = await ed.generateKeyPair();
  const otherKeys = await ed.generateKeyPair();
  agentSigner = await ed.signer(agentKeys.privateKey);
  otherSigner = await ed.signer(otherKeys.privateKey);
  keys.set('agent-1', agentKeys.publicKey);
  keys.set('agent-2', otherKeys.publicKey);
});

const encode = (text: string) => new TextEncoder().encode(text);

/** Signs arbitrary bytes as agent-1, so tests reach the checks that come after the signature. */
async function signedRaw(body: Uint8Array, signerId = 'agent-1'): Promise<IncomingFrame> {
  const signer = signerId === 'agent-1' ? agentSigner : otherSigner;
  return { body, signerId, signature: toBase64Url(await signer.sign(body)) };
}

async function refusal(frame: IncomingFrame, opts: VerifyOptions = options) {
  const result = await verifyAndParse(frame, opts);
  if (result.ok) throw new Error(`expected a refusal, got a ${result.value.message.kind}`);
  return result.error;
}

describe('wire codec', () => {
  it.each(MESSAGE_KINDS)('round-trips a signed %s', async (kind) => {
    const message = sampleMessage(kind);
    const frame = await encodeMessage(message, agentSigner, 'agent-1');
    const result = await verifyAndParse(frame, options);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.message).toEqual(message);
      expect(result.value.signerId).toBe('agent-1');
    }
  });

  it('refuses to encode an invalid message, naming the field', async () => {
    const bad = { ...sampleMessage('HEARTBEAT'), seq: -1 } as MeshMessage;
    await expect(encodeMessage(bad, agentSigner, 'agent-1')).rejects.toThrow(/seq/);
  });

  it('signs without a promise for a synchronous signer: the same bytes, the same checks', async () => {
    // A stand-in signer that signs both ways with one rule, so the two paths can be compared.
    const tag = (body: Uint8Array): Uint8Array => Uint8Array.from({ length: 64 }, (_, i) => (body[i % body.length]! + i) & 0xff);
    const syncSigner: SyncSigner = { signSync: tag, sign: (body) => Promise.resolve(tag(body)) };
    expect(signsSync(syncSigner)).toBe(true);
    const message = sampleMessage('ACK');
    const now = encodeMessageSync(message, syncSigner, 'agent-1');
    expect(now).toEqual(await encodeMessage(message, syncSigner, 'agent-1'));
    const bad = { ...sampleMessage('HEARTBEAT'), seq: -1 } as MeshMessage;
    expect(() => encodeMessageSync(bad, syncSigner, 'agent-1')).toThrow(/seq/);
    expect(signsSync({ sign: (body) => Promise.resolve(tag(body)) })).toBe(false);
  });

  it('refuses an oversized body before verifying it', async () => {
    const frame = await signedRaw(new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES + 1));
    expect(await refusal(frame)).toMatchObject({ code: 'OVERSIZED' });
    const small = await signedRaw(new Uint8Array(2048));
    expect(await refusal(small, { ...options, maxBytes: 1024 })).toMatchObject({ code: 'OVERSIZED', message: expect.stringContaining('1024') });
  });

  it('refuses a message without signature or signer', async () => {
    const frame = await encodeMessage(sampleMessage('HEARTBEAT'), agentSigner, 'agent-1');
    expect(await refusal({ body: frame.body, signerId: 'agent-1' })).toMatchObject({ code: 'UNSIGNED', message: expect.stringContaining('signature') });
    expect(await refusal({ body: frame.body, signature: frame.signature })).toMatchObject({ code: 'UNSIGNED', message: expect.stringContaining('signer') });
  });

  it('refuses a signature of the wrong length or alphabet', async () => {
    const frame = await encodeMessage(sampleMessage('HEARTBEAT'), agentSigner, 'agent-1');
    expect(await refusal({ ...frame, signature: frame.signature.slice(0, 40) })).toMatchObject({ code: 'BAD_SIGNATURE' });
    expect(await refusal({ ...frame, signature: `${frame.signature.slice(0, 85)}!` })).toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('refuses an unknown signer with the resolver reason', async () => {
    const frame = await encodeMessage(sampleMessage('HEARTBEAT', { sender: 'agent-9' }), agentSigner, 'agent-9');
    expect(await refusal(frame)).toMatchObject({ code: 'UNKNOWN_SIGNER', message: expect.stringContaining('agent-9') });
  });

  it('accepts either key while a rotation overlaps, and neither key of another agent', async () => {
    const rotated = await ed.generateKeyPair();
    const rotatedSigner = await ed.signer(rotated.privateKey);
    const overlap: KeyResolver = (id) => (id === 'agent-1' ? { ok: true, value: [rotated.publicKey, agentKeys.publicKey] } : resolveKey(id));
    const viaOld = await encodeMessage(sampleMessage('HEARTBEAT'), agentSigner, 'agent-1');
    const viaNew = await encodeMessage(sampleMessage('HEARTBEAT'), rotatedSigner, 'agent-1');
    expect((await verifyAndParse(viaOld, { ...options, resolveKey: overlap })).ok).toBe(true);
    expect((await verifyAndParse(viaNew, { ...options, resolveKey: overlap })).ok).toBe(true);
    const byOther = await encodeMessage(sampleMessage('HEARTBEAT'), otherSigner, 'agent-1');
    expect(await refusal(byOther, { ...options, resolveKey: overlap })).toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('refuses tampered bytes and a signature by another key', async () => {
    const frame = await encodeMessage(sampleMessage('HEARTBEAT'), agentSigner, 'agent-1');
    const tampered = frame.body.slice();
    tampered[20] = tampered[20]! ^ 1;
    expect(await refusal({ ...frame, body: tampered })).toMatchObject({ code: 'BAD_SIGNATURE' });
    const forged = await encodeMessage(sampleMessage('HEARTBEAT'), otherSigner, 'agent-1');
    expect(await refusal(forged)).toMatchObject({ code: 'BAD_SIGNATURE' });
    const sig = fromBase64Url(frame.signature);
    sig[0] = sig[0]! ^ 0x80;
    expect(await refusal({ ...frame, signature: toBase64Url(sig) })).toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('refuses signed bytes that are not UTF-8', async () => {
    expect(await refusal(await signedRaw(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))).toMatchObject({ code: 'NOT_UTF8' });
  });

  it('refuses truncated and malformed JSON', async () => {
    const frame = await encodeMessage(sampleMessage('ACK'), agentSigner, 'agent-1');
    const truncated = frame.body.slice(0, frame.body.length - 10);
    // Truncated in flight: the signature no longer matches.
    expect(await refusal({ ...frame, body: truncated })).toMatchObject({ code: 'BAD_SIGNATURE' });
    // Truncated before signing: authentic but not JSON.
    expect(await refusal(await signedRaw(truncated))).toMatchObject({ code: 'MALFORMED_JSON' });
    expect(await refusal(await signedRaw(encode('[1,2,3]')))).toMatchObject({ code: 'MALFORMED_JSON', message: expect.stringContaining('object') });
    expect(await refusal(await signedRaw(encode('null')))).toMatchObject({ code: 'MALFORMED_JSON' });
  });

  it('refuses unknown kinds and kinds not accepted on the route', async () => {
    const unknown = { ...sampleMessage('HEARTBEAT'), kind: 'GOSSIP' };
    expect(await refusal(await signedRaw(encode(JSON.stringify(unknown))))).toMatchObject({ code: 'UNKNOWN_KIND', path: 'kind' });
    const ack = await encodeMessage(sampleMessage('ACK'), agentSigner, 'agent-1');
    expect(await refusal(ack, { ...options, accept: ['HEARTBEAT'] })).toMatchObject({ code: 'UNKNOWN_KIND', message: expect.stringContaining('HEARTBEAT') });
  });

  it('refuses another protocol version', async () => {
    const v2 = { ...sampleMessage('HEARTBEAT'), v: 2 };
    expect(await refusal(await signedRaw(encode(JSON.stringify(v2))))).toMatchObject({ code: 'WRONG_VERSION', path: 'v', message: expect.stringContaining('2') });
  });

  it('names the offending field of an invalid body', async () => {
    const hb = sampleMessage('HEARTBEAT');
    const bad = { ...hb, impedance: { ...hb.impedance, impedance_score: 5000 } };
    const error = await refusal(await signedRaw(encode(JSON.stringify(bad))));
    expect(error).toMatchObject({ code: 'INVALID_FIELDS', path: 'impedance.impedance_score' });
    expect(error.message).toContain('HEARTBEAT.impedance.impedance_score');
  });

  it('carries a per-agent clock offset in compensation and refuses a malformed one', async () => {
    const comp = { lead_time_ms: 5, expected_processing_ms: 1, confidence: 1, clock_offset_ms: -12.5 };
    const good = sampleMessage('COORDINATE', { overrides: { compensation: { 'edge-1': comp } } });
    const result = await verifyAndParse(await encodeMessage(good, agentSigner, 'agent-1'), options);
    expect(result.ok && result.value.message.kind === 'COORDINATE' && result.value.message.compensation?.['edge-1']?.clock_offset_ms).toBe(-12.5);
    const bad = { ...good, compensation: { 'edge-1': { ...comp, clock_offset_ms: '5' } } };
    expect(await refusal(await signedRaw(encode(JSON.stringify(bad))))).toMatchObject({ code: 'INVALID_FIELDS', path: 'compensation.edge-1.clock_offset_ms' });
  });

  it.each(['COORDINATE', 'FREEZE', 'THAW', 'CIRCUIT'] as const)('carries an HA lead\'s lease epoch on %s, signed, and stays valid without one', async (kind) => {
    const stamped = sampleMessage(kind, { overrides: { lease_epoch: 42 } });
    const result = await verifyAndParse(await encodeMessage(stamped, agentSigner, 'agent-1'), options);
    expect(result.ok && 'lease_epoch' in result.value.message && result.value.message.lease_epoch).toBe(42);
    const plain = await verifyAndParse(await encodeMessage(sampleMessage(kind), agentSigner, 'agent-1'), options);
    expect(plain.ok && !('lease_epoch' in plain.value.message)).toBe(true);
    const bad = { ...stamped, lease_epoch: 0 };
    expect(await refusal(await signedRaw(encode(JSON.stringify(bad))))).toMatchObject({ code: 'INVALID_FIELDS', path: 'lease_epoch' });
  });

  it('refuses a message whose sender or actor is not the signer', async () => {
    const spoofedSender = sampleMessage('HEARTBEAT', { sender: 'agent-2' });
    expect(await refusal(await signedRaw(encode(JSON.stringify(spoofedSender))))).toMatchObject({ code: 'SIGNER_MISMATCH', path: 'sender_id' });
    const spoofedActor = sampleMessage('ACK', { overrides: { agent_id: 'agent-2' } });
    expect(await refusal(await signedRaw(encode(JSON.stringify(spoofedActor))))).toMatchObject({ code: 'SIGNER_MISMATCH', path: 'agent_id' });
  });

  it('refuses replays and expired messages when given a replay guard', async () => {
    const clock = new ManualClock(SAMPLE_TIME);
    const replay = new ReplayGuard({ clock, ttlMs: 30_000, skewMs: 2_000 });
    const frame = await encodeMessage(sampleMessage('HEARTBEAT'), agentSigner, 'agent-1');
    expect((await verifyAndParse(frame, { ...options, replay })).ok).toBe(true);
    expect(await refusal(frame, { ...options, replay })).toMatchObject({ code: 'REPLAYED' });
    const old = await encodeMessage(sampleMessage('HEARTBEAT', { at: SAMPLE_TIME - 60_000 }), agentSigner, 'agent-1');
    expect(await refusal(old, { ...options, replay })).toMatchObject({ code: 'EXPIRED' });
  });

  it('never throws, whatever arrives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 256 }),
        fc.option(fc.string({ maxLength: 100 })),
        fc.option(fc.string({ maxLength: 100 })),
        async (body, signerId, signature) => {
          const result = await verifyAndParse({ body, signerId, signature }, options);
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on authentic garbage either', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.string()), async (text) => {
        const result = await verifyAndParse(await signedRaw(encode(text)), options);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
  });
});
