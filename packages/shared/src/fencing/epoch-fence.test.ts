import { describe, expect, it } from 'vitest';
import { EpochFence } from './epoch-fence.js';

describe('EpochFence', () => {
  it('admits the first epoch it sees and every later message of that epoch', () => {
    const fence = new EpochFence();
    expect(fence.check('cluster-a', 7)).toEqual({ admitted: true, epoch: 7, newer: true });
    expect(fence.check('cluster-a', 7)).toEqual({ admitted: true, epoch: 7, newer: false });
    expect(fence.current('cluster-a')).toBe(7);
    expect(fence.refused).toBe(0);
  });

  it('follows a failover to a higher epoch and refuses the old holder from then on', () => {
    const fence = new EpochFence();
    fence.check('cluster-a', 7);
    expect(fence.check('cluster-a', 12)).toMatchObject({ admitted: true, newer: true });
    expect(fence.check('cluster-a', 7)).toEqual({ admitted: false, epoch: 7, current: 12 });
    expect(fence.refused).toBe(1);
    expect(fence.current('cluster-a')).toBe(12);
  });

  it('keeps one bar per lease', () => {
    const fence = new EpochFence();
    fence.check('cluster-a', 12);
    expect(fence.check('cluster-b', 3).admitted).toBe(true);
    expect(fence.current('cluster-b')).toBe(3);
  });

  it('starts from the bars it is given and reports each raise, not each admission', () => {
    const raised: Array<[string, number]> = [];
    const fence = new EpochFence({ initial: [['cluster-a', 12]], onRaise: (lease, epoch) => raised.push([lease, epoch]) });
    expect(fence.check('cluster-a', 7)).toEqual({ admitted: false, epoch: 7, current: 12 });
    expect(fence.check('cluster-a', 12)).toMatchObject({ admitted: true, newer: false });
    expect(fence.check('cluster-a', 15)).toMatchObject({ admitted: true, newer: true });
    expect(fence.check('cluster-b', 3)).toMatchObject({ admitted: true, newer: true });
    expect(fence.check('cluster-b', 3)).toMatchObject({ admitted: true, newer: false });
    expect(raised).toEqual([['cluster-a', 15], ['cluster-b', 3]]);
  });

  it('admits nothing newer when recording the raise throws: the bar is not raised in memory either', () => {
    const fence = new EpochFence({ onRaise: () => { throw new Error('disk full'); } });
    expect(() => fence.check('cluster-a', 4)).toThrow('disk full');
    expect(fence.current('cluster-a')).toBeUndefined();
  });
});
