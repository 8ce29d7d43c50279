import { describe, expect, it } from 'vitest';
import { fastBeatDue } from './heartbeat.js';

describe('fast start-up beats', () => {
  const fresh = { refused: false, samples: 0, burstSamples: 4, fastBeatsTaken: 0 };

  it('come until the clock has burstSamples samples', () => {
    expect(fastBeatDue(fresh)).toBe(true);
    expect(fastBeatDue({ ...fresh, samples: 3, fastBeatsTaken: 3 })).toBe(true);
    expect(fastBeatDue({ ...fresh, samples: 4, fastBeatsTaken: 3 })).toBe(false);
  });

  it('stop after burstSamples of them even when the clock refused the samples (a busy lead), so a fleet is not kept at the burst rate', () => {
    expect(fastBeatDue({ ...fresh, samples: 0, fastBeatsTaken: 4 })).toBe(false);
    expect(fastBeatDue({ ...fresh, samples: 1, fastBeatsTaken: 9 })).toBe(false);
  });

  it('do not come after a refusal or a timeout, nor at all with burstSamples 0', () => {
    expect(fastBeatDue({ ...fresh, refused: true })).toBe(false);
    expect(fastBeatDue({ ...fresh, burstSamples: 0 })).toBe(false);
  });
});
