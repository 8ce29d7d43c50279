import { describe, expect, it } from 'vitest';
import { SequenceCounter, planBeats } from './schedule.js';

describe('planBeats', () => {
  it('plans every agent once per interval, spread evenly, in time order', () => {
    const beats = planBeats(4, 1_000, 10_000, 2_000);
    expect(beats.map((b) => [b.agent, b.at])).toEqual([
      [0, 10_000], [1, 10_250], [2, 10_500], [3, 10_750],
      [0, 11_000], [1, 11_250], [2, 11_500], [3, 11_750],
    ]);
  });

  it('keeps each agent exactly one interval apart across adjoining ranges', () => {
    const first = planBeats(3, 900, 0, 1_000);
    const second = planBeats(3, 900, 1_000, 1_000);
    const agent1 = [...first, ...second].filter((b) => b.agent === 1).map((b) => b.at);
    expect(agent1).toEqual([300, 1_200]);
  });

  it('asks agents / interval beats per second', () => {
    expect(planBeats(6_000, 5_000, 1_000_000, 10_000)).toHaveLength(12_000);
  });
});

describe('SequenceCounter', () => {
  it('moves each agent forward on its own', () => {
    const seq = new SequenceCounter();
    expect([seq.take(0), seq.take(0), seq.take(1), seq.take(0)]).toEqual([1, 2, 1, 3]);
  });
});
