import { payloadHash } from '@mesh30k/shared';
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { GENESIS_CONTEXT_HASH } from '../src/state/context-chain.js';
import { EDGE_ROUTES } from '../src/http/routes.js';
import { AGENT_ID, coordinate, post, postCoordinate, readProblem, readSigned, signRaw, withClockOffset } from './support/lead.js';

const stateStub = () => env.AGENT_STATE.getByName(AGENT_ID);

describe('POST /v1/coordinate: modes, verbs and conflicts', () => {
  it('lead mode: READY as soon as the verb is done, with a signed ACK on the Worker clock', async () => {
    const message = await coordinate({ release_mode: 'lead', target_time: Date.now() + 10_000 });
    const sent = Date.now();
    const ack = await readSigned(await postCoordinate(message), 'ACK');
    expect(ack).toMatchObject({
      kind: 'ACK',
      agent_id: AGENT_ID,
      operation_id: message.operation_id,
      coordinate_id: message.message_id,
      trinary_state: 1,
      release_mode: 'lead',
      late: false,
    });
    expect(ack.received_at_local).toBeGreaterThanOrEqual(sent);
    expect(ack.ready_at_local).toBeGreaterThanOrEqual(ack.received_at_local);
    // Not held: T is 10 s away and the answer came at once.
    expect(ack.ready_at_local).toBeLessThan(message.target_time - 5_000);
    expect(ack.processing_ms).toBe(ack.ready_at_local - ack.received_at_local);
    expect(ack.result).toMatchObject({ verb: 'observe', context_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('none mode behaves as lead mode (the naive baseline)', async () => {
    const ack = await readSigned(await postCoordinate(await coordinate({ release_mode: 'none', target_time: Date.now() + 10_000 })), 'ACK');
    expect(ack.trinary_state).toBe(1);
    expect(ack.release_mode).toBe('none');
  });

  it('converts its ready time to mesh time with the offset the lead stated', async () => {
    const offset = 1_234.5;
    const ack = await readSigned(await postCoordinate(withClockOffset(await coordinate(), offset)), 'ACK');
    expect(ack.ready_at_mesh).toBeCloseTo(ack.ready_at_local + offset, 6);
    expect(ack.created_at).toBeGreaterThanOrEqual(ack.ready_at_mesh);
  });

  it('answers a CONFLICT ACK (CAPABILITY_MISMATCH) at once, and quarantines it', async () => {
    const message = await coordinate({ requires_capabilities: ['route', 'gpu.inference'], release_mode: 'hold', target_time: Date.now() + 5_000 });
    const ack = await readSigned(await postCoordinate(message), 'ACK');
    expect(ack.trinary_state).toBe(-1);
    expect(ack.conflict).toMatchObject({ type: 'CAPABILITY_MISMATCH', received_value: '["gpu.inference"]' });
    expect(ack.ready_at_local).toBeLessThan(message.target_time - 1_000);
    const quarantined = await runInDurableObject(stateStub(), (state) => state.conflicts(5));
    expect(quarantined.map((q) => q.coordinateId)).toContain(message.message_id);
  });

  it('refuses act with a signed TRANSIT ACK (NO_OUTPUTS) at once, even in hold mode: a Worker switches nothing', async () => {
    const message = await coordinate({ verb: 'act', payload: { action: 'set', output: 'relay', value: true }, release_mode: 'hold', target_time: Date.now() + 5_000 });
    const ack = await readSigned(await postCoordinate(message), 'ACK');
    expect(ack.trinary_state).toBe(0);
    expect(ack.refusal).toMatchObject({ code: 'NO_OUTPUTS', message: expect.stringContaining('drives no outputs') });
    expect(ack.result).toBeUndefined();
    expect(ack.ready_at_local).toBeLessThan(message.target_time - 1_000);
    const plain = await readSigned(await postCoordinate(await coordinate({ verb: 'act', payload: { command: 'arm' } })), 'ACK');
    expect(plain.trinary_state).toBe(0);
    expect(plain.refusal?.code).toBe('NO_OUTPUTS');
  });

  it('answers HASH_MISMATCH when the payload is not the one hashed', async () => {
    const message = await coordinate({ payload: { route: '/us' }, payload_hash: await payloadHash({ route: '/eu' }) });
    const ack = await readSigned(await postCoordinate(message), 'ACK');
    expect(ack.trinary_state).toBe(-1);
    expect(ack.conflict?.type).toBe('HASH_MISMATCH');
  });

  it('record folds the payload into the context hash; sync compares it', async () => {
    const recorded = await readSigned(await postCoordinate(await coordinate({ verb: 'record', payload: { fact: Math.random() } })), 'ACK');
    const context = (recorded.result as { context_hash: string }).context_hash;
    expect(context).not.toBe(GENESIS_CONTEXT_HASH);
    const agreeing = await readSigned(await postCoordinate(await coordinate({ verb: 'sync', payload: { context_hash: context } })), 'ACK');
    expect(agreeing.trinary_state).toBe(1);
    const diverging = await readSigned(await postCoordinate(await coordinate({ verb: 'sync', payload: { context_hash: 'f'.repeat(64) } })), 'ACK');
    expect(diverging.conflict).toMatchObject({ type: 'CONTEXT_DIVERGENCE', expected_value: context, context_hash: context });
  });

  it('refuses a sync whose payload fails the shared verb schema with a TRANSIT ACK (PAYLOAD_INVALID) naming the field', async () => {
    const ack = await readSigned(await postCoordinate(await coordinate({ verb: 'sync', payload: { context_hash: 'nope' } })), 'ACK');
    expect(ack.trinary_state).toBe(0);
    expect(ack.refusal).toMatchObject({ code: 'PAYLOAD_INVALID', message: expect.stringContaining('sync payload context_hash') });
  });

  it('answers authentic work it cannot run with a signed TRANSIT ACK naming why: unknown verb, invalid field', async () => {
    const rawPost = async (message: Record<string, unknown>): Promise<Response> =>
      post(EDGE_ROUTES.coordinate.path, await signRaw(new TextEncoder().encode(JSON.stringify(message))));
    const verb = { ...(await coordinate()), verb: 'teleport' };
    const verbAck = await readSigned(await rawPost(verb), 'ACK');
    expect(verbAck).toMatchObject({ trinary_state: 0, operation_id: verb.operation_id, coordinate_id: verb.message_id, refusal: { code: 'VERB_UNSUPPORTED' } });
    const weight = { ...(await coordinate()), payload_weight: 99 };
    expect(await readSigned(await rawPost(weight), 'ACK')).toMatchObject({ trinary_state: 0, refusal: { code: 'FRAME_REFUSED' } });
    // A replay of the same bytes is refused, not answered twice.
    expect((await readProblem(await rawPost(verb))).code).toBe('REPLAYED');
    // Not selected: the usual refusal, no ACK.
    expect((await readProblem(await rawPost({ ...(await coordinate({ selector: { agent_ids: ['pi-7'] } })), verb: 'teleport' }))).code).toBe('NOT_SELECTED');
  });

  it('refuses a COORDINATE that does not select this agent', async () => {
    const problem = await readProblem(await postCoordinate(await coordinate({ selector: { agent_ids: ['pi-7'] } })));
    expect(problem).toMatchObject({ status: 422, code: 'NOT_SELECTED' });
    expect((await readProblem(await postCoordinate(await coordinate({ selector: {} })))).code).toBe('NOT_SELECTED');
    const byClass = await readSigned(await postCoordinate(await coordinate({ selector: { agent_class: 'A', capability: 'cache' } })), 'ACK');
    expect(byClass.trinary_state).toBe(1);
  });

  it('refuses, with a signed TRANSIT ACK, to hold for a T further ahead than MAX_HOLD_MS', async () => {
    const message = await coordinate({ release_mode: 'hold', target_time: Date.now() + 120_000, verb: 'record' });
    const ack = await readSigned(await postCoordinate(message), 'ACK');
    expect(ack.trinary_state).toBe(0);
    expect(ack.refusal?.code).toBe('TARGET_TOO_FAR');
    expect(ack.ready_at_local).toBeLessThan(message.target_time - 100_000);
    expect(ack.result).toBeUndefined();
  });

  it('counts completed COORDINATEs in the processing statistics', async () => {
    await readSigned(await postCoordinate(await coordinate()), 'ACK');
    const stats = await runInDurableObject(stateStub(), (state) => state.admit({ kind: 'PING', messageId: `stats-${Date.now()}-x`, createdAt: Date.now(), ttlMs: 30_000 }));
    expect(stats.ok && stats.snapshot.stats.requests).toBeGreaterThan(0);
    expect(stats.ok && stats.snapshot.stats.processing_p50_ms).not.toBeNull();
  });
});
