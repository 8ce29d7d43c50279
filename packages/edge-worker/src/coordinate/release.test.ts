import { sampleMessage } from '@mesh30k/shared/testing';
import { describe, expect, it } from 'vitest';
import { releaseFor } from './release.js';

const coordinate = (release_mode: 'hold' | 'lead' | 'none', target_time: number) => ({
  ...sampleMessage('COORDINATE', { sender: 'lead-1' }),
  release_mode,
  target_time,
});

describe('releaseFor', () => {
  it('converts T to the Worker clock with mesh = local + offset', () => {
    expect(releaseFor(coordinate('hold', 10_000), 2_500, 7_000, 30_000)).toEqual({ kind: 'hold', untilLocal: 7_500 });
    expect(releaseFor(coordinate('hold', 10_000), -2_500, 7_000, 30_000)).toEqual({ kind: 'hold', untilLocal: 12_500 });
  });

  it('does not hold in lead and none modes', () => {
    expect(releaseFor(coordinate('lead', 10_000), 0, 0, 30_000)).toEqual({ kind: 'now' });
    expect(releaseFor(coordinate('none', 10_000), 0, 0, 30_000)).toEqual({ kind: 'now' });
  });

  it('refuses a T further ahead than the longest hold', () => {
    expect(releaseFor(coordinate('hold', 100_000), 0, 0, 30_000)).toEqual({ kind: 'too-far', aheadMs: 100_000 });
  });
});
