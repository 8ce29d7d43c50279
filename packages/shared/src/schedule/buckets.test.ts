import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import { bucketSends } from './buckets.js';
import { holdLeadTimeFor } from './lead-time.js';
import { computeSendSchedule, scheduledSends } from './send-schedule.js';
import { agent } from './timing.test-helper.js';

const NOW = 1.75e12;

const sendsArb = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 60 })
  .chain((ids) =>
    fc.tuple(fc.constant(ids), fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: ids.length, maxLength: ids.length })),
  )
  .map(([ids, offsets]) => ids.map((agentId, i) => ({ agentId, sendAt: NOW + offsets[i]! })));

describe('bucketSends', () => {
  it('covers every agent exactly once and never sends anyone late or more than a bucket early', () => {
    fc.assert(
      fc.property(sendsArb, fc.double({ min: 0.5, max: 50, noNaN: true }), (sends, width) => {
        const buckets = bucketSends(sends, width);
        const members = buckets.flatMap((b) => b.agentIds);
        expect([...members].sort()).toEqual(sends.map((s) => s.agentId).sort());
        const own = new Map(sends.map((s) => [s.agentId, s.sendAt]));
        for (const b of buckets) {
          for (const id of b.agentIds) {
            expect(b.sendAt).toBeLessThanOrEqual(own.get(id)!);
            expect(own.get(id)! - b.sendAt).toBeLessThan(width);
          }
        }
        for (let i = 1; i < buckets.length; i += 1) expect(buckets[i]!.sendAt).toBeGreaterThanOrEqual(buckets[i - 1]!.sendAt + width);
        if (sends.length > 0) expect(buckets[0]!.sendAt).toBe(Math.min(...sends.map((s) => s.sendAt)));
      }),
    );
  });

  it('groups by 10 ms by default', () => {
    const buckets = bucketSends([
      { agentId: 'c', sendAt: 125 },
      { agentId: 'a', sendAt: 100 },
      { agentId: 'b', sendAt: 109.9 },
      { agentId: 'd', sendAt: 110 },
    ]);
    expect(buckets).toEqual([
      { sendAt: 100, agentIds: ['a', 'b'] },
      { sendAt: 110, agentIds: ['d'] },
      { sendAt: 125, agentIds: ['c'] },
    ]);
  });

  it('puts a hold group in a single bucket', () => {
    const result = computeSendSchedule({
      targetMs: NOW + 1000,
      nowMs: NOW,
      mode: 'hold',
      agents: [agent('a'), agent('b', { expectedProcessingMs: 400 }), agent('c', { oneWayDelayMs: 90 })],
    });
    // The slowest member's hold lead time (its tail): 10 ms one way, 400 ms processing + 10 %, the 2 ms floor.
    const slowest = holdLeadTimeFor(agent('b', { expectedProcessingMs: 400 })).leadTimeMs;
    expect(result.ok && bucketSends(scheduledSends(result.value.entries))).toEqual([{ sendAt: NOW + 1000 - slowest - 10, agentIds: ['a', 'b', 'c'] }]);
  });

  it('refuses a width that is not positive', () => {
    expect(() => bucketSends([], 0)).toThrow(MeshError);
    expect(() => bucketSends([{ agentId: 'a', sendAt: Number.NaN }])).toThrow(MeshError);
  });
});
