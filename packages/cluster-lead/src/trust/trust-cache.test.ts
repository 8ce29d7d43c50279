import { describe, expect, it } from 'vitest';
import { trustFixture } from '../ingest/ingest.test-helper.js';
import { trustedKeyResolver } from './key-resolver.js';
import { TrustCache } from './trust-cache.js';

describe('trust cache', () => {
  it('answers repeated lookups from the cache, with the same keys as the store', async () => {
    const fx = await trustFixture();
    await fx.agent('pi-1');
    const cache = new TrustCache(fx.trust, () => fx.clock.now());
    const resolve = trustedKeyResolver(cache);
    const first = resolve('pi-1');
    const second = resolve('pi-1');
    expect(first).toEqual(trustedKeyResolver(fx.trust)('pi-1'));
    // The same list object: built once.
    expect(first.ok && second.ok && first.value === second.value).toBe(true);
    expect(cache.misses).toBe(1);
    expect(cache.hits).toBe(1);
  });

  it('stops answering from the cache once the store changes: a revoked agent is refused at once', async () => {
    const fx = await trustFixture();
    await fx.agent('pi-1');
    const cache = new TrustCache(fx.trust, () => fx.clock.now());
    expect(cache.lookup('pi-1').ok).toBe(true);
    fx.trust.revokeAgent('pi-1');
    const after = cache.lookup('pi-1');
    expect(after.ok ? 'trusted' : after.error.code).toBe('ENROLLMENT_REVOKED');
    // A refusal is not kept: a later enrollment is seen too.
    await fx.agent('pi-2');
    expect(cache.lookup('pi-2').ok).toBe(true);
  });

  it('stops answering from the cache once a key it holds expires, with no change to the store', async () => {
    const fx = await trustFixture();
    await fx.agent('pi-1');
    const cache = new TrustCache(fx.trust, () => fx.clock.now());
    const found = cache.lookup('pi-1');
    if (!found.ok) throw new Error(found.error.message);
    fx.clock.set(found.value.validUntil);
    const expired = cache.lookup('pi-1');
    expect(expired.ok ? 'trusted' : expired.error.code).toBe('ENROLLMENT_EXPIRED');
  });
});
