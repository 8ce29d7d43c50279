import { describe, expect, it } from 'vitest';
import { TIMEOUT_STRETCH, beatBaseMs, fastBeatDue, shedStretchesNextBeat } from './heartbeat.js';

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

describe('the wait until the next beat', () => {
  const base = { fast: false, burstIntervalMs: 500, intervalMs: 5_000, timedOut: false };

  it('is the interval, or the burst interval (never longer than the interval) for a fast beat', () => {
    expect(beatBaseMs(base)).toBe(5_000);
    expect(beatBaseMs({ ...base, fast: true })).toBe(500);
    expect(beatBaseMs({ ...base, fast: true, intervalMs: 300 })).toBe(300);
  });

  it('stretches after a beat timed out, so a lead that fell behind is asked less often until it answers again', () => {
    expect(TIMEOUT_STRETCH).toBe(2);
    expect(beatBaseMs({ ...base, timedOut: true })).toBe(10_000);
  });
});

describe('a shed beat', () => {
  it('stretches the next wait when it was tagged in a session (the lead is behind), not when signed or refused otherwise', () => {
    expect(shedStretchesNextBeat({ code: 'OVERLOADED', tagged: true })).toBe(true);
    // A signed beat shed waits out retry_after_ms instead (busyUntil); other refusals say nothing about load.
    expect(shedStretchesNextBeat({ code: 'OVERLOADED', tagged: false })).toBe(false);
    expect(shedStretchesNextBeat({ code: 'SESSION_UNKNOWN', tagged: true })).toBe(false);
    expect(shedStretchesNextBeat({ code: undefined, tagged: true })).toBe(false);
  });
});
