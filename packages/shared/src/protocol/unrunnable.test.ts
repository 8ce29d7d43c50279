import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../signing/encoding.js';
import { nobleEd25519 } from '../signing/noble.js';
import type { PublicKeyBytes, Signer } from '../signing/types.js';
import { sampleMessage } from '../testing/messages.js';
import { TRANSIT_REFUSAL } from './refusals.js';
import { readUnrunnableCoordinate, type UnrunnableOptions } from './unrunnable.js';
import type { IncomingFrame, KeyResolver } from './wire.js';

const ed = nobleEd25519;
const keys = new Map<string, PublicKeyBytes>();
let leadSigner: Signer;
let strangerSigner: Signer;
const resolveKey: KeyResolver = (id) => (keys.has(id) ? { ok: true, value: keys.get(id)! } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } });
const LIMIT = 2_048;
const options = (): UnrunnableOptions => ({ ed25519: ed, resolveKey, maxBytes: LIMIT, hardMaxBytes: 1_048_576 });

beforeAll(async () => {
  const lead = await ed.generateKeyPair();
  const stranger = await ed.generateKeyPair();
  leadSigner = await ed.signer(lead.privateKey);
  strangerSigner = await ed.signer(stranger.privateKey);
  keys.set('lead-1', lead.publicKey);
});

/** A COORDINATE from lead-1 with fields replaced, signed raw (the encoder would refuse some). */
async function frame(over: Record<string, unknown>, signer: Signer = leadSigner, signerId = 'lead-1'): Promise<IncomingFrame> {
  const coordinate = { ...sampleMessage('COORDINATE'), sender_id: 'lead-1', ...over };
  const body = new TextEncoder().encode(JSON.stringify(coordinate));
  return { body, signerId, signature: toBase64Url(await signer.sign(body)) };
}

describe('readUnrunnableCoordinate: an authentic COORDINATE the agent cannot run, named', () => {
  it('a frame over the agent\'s limit: FRAME_REFUSED, with the operation it belongs to', async () => {
    const read = await readUnrunnableCoordinate(await frame({ operation_id: 'op-big', payload: { blob: 'x'.repeat(LIMIT) } }), options());
    expect(read).toMatchObject({ code: TRANSIT_REFUSAL.FRAME_REFUSED, signerId: 'lead-1', head: { operation_id: 'op-big', kind: 'COORDINATE' } });
    expect(read!.message).toMatch(/frame limit is 2048/);
  });

  it('an unknown verb: VERB_UNSUPPORTED', async () => {
    const read = await readUnrunnableCoordinate(await frame({ verb: 'teleport' }), options());
    expect(read).toMatchObject({ code: TRANSIT_REFUSAL.VERB_UNSUPPORTED, head: { verb: 'teleport' } });
  });

  it('another field failing the schema: FRAME_REFUSED naming the field', async () => {
    const read = await readUnrunnableCoordinate(await frame({ payload_weight: 99 }), options());
    expect(read).toMatchObject({ code: TRANSIT_REFUSAL.FRAME_REFUSED });
    expect(read!.message).toMatch(/payload_weight/);
  });

  it('nothing for a forged, unsigned, unknown-signer or headless frame, nor for a valid one', async () => {
    const forged = await frame({ verb: 'teleport' }, strangerSigner, 'lead-1');
    const unsigned = { ...(await frame({ verb: 'teleport' })), signature: undefined };
    const unknown = await frame({ verb: 'teleport', sender_id: 'lead-9' }, strangerSigner, 'lead-9');
    const headless = await frame({ verb: 'teleport', operation_id: undefined });
    const otherSender = await frame({ verb: 'teleport', sender_id: 'lead-2' });
    const valid = await frame({});
    for (const f of [forged, unsigned, unknown, headless, otherSender, valid]) expect(await readUnrunnableCoordinate(f, options())).toBeNull();
  });

  it('nothing beyond the hard limit: the signature is not even checked', async () => {
    const big = await frame({ payload: { blob: 'x'.repeat(4 * LIMIT) } });
    expect(await readUnrunnableCoordinate(big, { ...options(), hardMaxBytes: 2 * LIMIT })).toBeNull();
  });
});
