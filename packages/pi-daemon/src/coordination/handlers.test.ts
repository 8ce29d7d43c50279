import { describe, expect, it } from 'vitest';
import { sampleMessage } from '@mesh30k/shared/testing';
import { hashPayload } from './context-hash.js';
import { BUILT_IN_HANDLERS, type HandlerContext, type HandlerOutcome } from './handlers.js';

function run(payload: unknown, current: string): { outcome: HandlerOutcome; hash: string } {
  let hash = current;
  const ctx: HandlerContext = {
    coordinate: sampleMessage('COORDINATE', { overrides: { verb: 'sync', payload } }),
    agentId: 'pi-1',
    contextHash: () => hash,
    setContextHash: (h) => (hash = h),
    meshNow: () => 0,
    signal: new AbortController().signal,
  };
  return { outcome: BUILT_IN_HANDLERS.sync(ctx) as HandlerOutcome, hash };
}

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('sync', () => {
  it('adopts the new context hash', () => {
    expect(run({ context_hash: B }, '')).toEqual({ outcome: { state: 'ready', result: { context_hash: B } }, hash: B });
    expect(run({ context_hash: B, base_hash: A }, A).hash).toBe(B);
  });

  it('is a cache hit when the agent already holds that context: READY with no new work', () => {
    expect(run({ context_hash: A }, A)).toEqual({ outcome: { state: 'ready', result: { context_hash: A }, cacheHit: true }, hash: A });
    expect(run({ context_hash: B }, A).outcome).not.toHaveProperty('cacheHit');
  });

  it('reports CONTEXT_DIVERGENCE when the lead believes the agent holds another context', () => {
    const { outcome, hash } = run({ context_hash: B, base_hash: B, depth: 4 }, A);
    expect(hash).toBe(A);
    expect(outcome).toMatchObject({ state: 'conflict', conflict: { type: 'CONTEXT_DIVERGENCE', expected_value: A, received_value: B, divergence_depth: 4 } });
  });

  it('reports HASH_MISMATCH when the context sent does not hash to its context_hash', () => {
    const context = { version: 3 };
    expect(run({ context_hash: hashPayload(context), context }, '').outcome.state).toBe('ready');
    expect(run({ context_hash: A, context }, '').outcome).toMatchObject({ state: 'conflict', conflict: { type: 'HASH_MISMATCH', expected_value: A, received_value: hashPayload(context) } });
  });

  it('answers TRANSIT for a payload that is not a sync payload', () => {
    expect(run({ nonsense: true }, '').outcome).toMatchObject({ state: 'transit', code: 'PAYLOAD_INVALID' });
  });
});

describe('hashPayload', () => {
  it('is the protocol payload hash (canonical JSON, key order irrelevant)', async () => {
    const { payloadHash } = await import('@mesh30k/shared');
    expect(hashPayload({ b: 1, a: [1, 2] })).toBe(await payloadHash({ a: [1, 2], b: 1 }));
  });
});
