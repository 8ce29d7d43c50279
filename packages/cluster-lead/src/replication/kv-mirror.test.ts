import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { KINDS, type Kind } from './buckets.js';
import { decodeEntry } from './entries.js';
import { KvMirror, type KvWriter } from './kv-mirror.js';

/** KV writers that record puts and can be made to fail. */
function fakeBuckets() {
  const puts: Array<{ kind: Kind; key: string; value: Uint8Array }> = [];
  const state = { failing: false };
  const buckets = Object.fromEntries(
    KINDS.map((kind): [Kind, KvWriter] => [
      kind,
      {
        put: (key, value) => {
          if (state.failing) return Promise.reject(new Error('no JetStream'));
          puts.push({ kind, key, value });
          return Promise.resolve(puts.length);
        },
        delete: () => Promise.resolve(),
      },
    ]),
  ) as Record<Kind, KvWriter>;
  return { puts, state, buckets };
}

const control = (frozen: boolean) => ({ global_frozen: frozen, frozen_clusters: [], frozen_sectors: [], config_epoch: 0 });

describe('KvMirror', () => {
  it('writes only while active, the latest value of a key once, stamped with the lease epoch', async () => {
    let epoch: number | null = 7;
    const mirror = new KvMirror({ logger: silentLogger(), now: () => 1_000, epoch: () => epoch, ha: true });
    const { puts, buckets } = fakeBuckets();
    mirror.put('control', 'freeze', control(true));
    mirror.activate(buckets);
    mirror.put('control', 'freeze', control(true));
    mirror.put('control', 'freeze', control(false));
    await mirror.idle();
    expect(puts).toHaveLength(1);
    const decoded = decodeEntry('control', 'freeze', puts[0]!.value);
    expect(decoded).toEqual({ ok: true, epoch: 7, data: control(false) });

    // Without the lease nothing is written: the successor's state is not overwritten.
    epoch = null;
    mirror.put('control', 'freeze', control(true));
    await mirror.idle();
    expect(puts).toHaveLength(1);
    expect(mirror.stats()).toMatchObject({ puts: 1, fenced: 1, pending: 0 });
  });

  it('tries a failed put again', async () => {
    const mirror = new KvMirror({ logger: silentLogger(), now: () => 1_000, epoch: () => null, ha: false }, { retryMs: 5 });
    const { puts, state, buckets } = fakeBuckets();
    mirror.activate(buckets);
    state.failing = true;
    mirror.put('breakers', 'open', []);
    await new Promise<void>((resolve) => setImmediate(resolve));
    state.failing = false;
    await mirror.idle();
    expect(puts.map((put) => put.key)).toEqual(['open']);
    expect(mirror.stats().failures).toBeGreaterThanOrEqual(1);
  });
});
