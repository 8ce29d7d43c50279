import { describe, expect, it } from 'vitest';
import { AdmissionQueue } from './admission-queue.js';

describe('AdmissionQueue', () => {
  it('serves higher priority first and the older entry on a tie', () => {
    const q = new AdmissionQueue<string>(10, 1_000);
    q.offer('low', 0, 0);
    q.offer('high', 3, 1);
    q.offer('high-later', 3, 2);
    expect(q.ordered(2).map((e) => e.item)).toEqual(['high', 'high-later', 'low']);
  });

  it('raises a waiting entry one level per aging step, so it overtakes newer higher-priority work', () => {
    const q = new AdmissionQueue<string>(10, 1_000);
    q.offer('background', 0, 0);
    q.offer('critical', 3, 2_500);
    expect(q.ordered(2_500).map((e) => e.item)).toEqual(['critical', 'background']);
    // At 3,000 the background entry has waited three steps: 0 + 3 ties with 3 + 0, and it is older.
    expect(q.ordered(3_000).map((e) => e.item)).toEqual(['background', 'critical']);
    expect(q.effectivePriority(q.ordered(3_000)[0]!, 3_000)).toBe(3);
  });

  it('is bounded and forgets removed entries', () => {
    const q = new AdmissionQueue<string>(2, 1_000);
    expect([q.offer('a', 1, 0), q.offer('b', 1, 0), q.offer('c', 1, 0)]).toEqual([true, true, false]);
    expect(q.full).toBe(true);
    expect(q.remove('a')).toBe(true);
    expect(q.remove('a')).toBe(false);
    expect(q.some((item) => item === 'b')).toBe(true);
    expect(q.drain()).toEqual(['b']);
    expect(q.size).toBe(0);
  });
});
