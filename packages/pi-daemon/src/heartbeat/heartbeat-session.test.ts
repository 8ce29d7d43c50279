import { describe, expect, it } from 'vitest';
import { handshakeRetryWaitMs } from './heartbeat-session.js';

describe('handshake retry wait', () => {
  const base = { intervalMs: 5_000, random: 0.5 };

  it('doubles per failure from one interval, up to 64 intervals', () => {
    expect([1, 2, 3, 7, 8, 20].map((failures) => handshakeRetryWaitMs({ ...base, reason: 'TIMEOUT', failures }))).toEqual([5_000, 10_000, 20_000, 320_000, 320_000, 320_000]);
  });

  it('waits about one interval while no lead listens (NO_RESPONDERS), however often that happened', () => {
    expect(handshakeRetryWaitMs({ ...base, reason: 'NO_RESPONDERS', failures: 0 })).toBe(5_000);
    expect(handshakeRetryWaitMs({ ...base, reason: 'NO_RESPONDERS', failures: 6 })).toBe(5_000);
    expect(handshakeRetryWaitMs({ ...base, random: 0, reason: 'NO_RESPONDERS', failures: 6 })).toBe(2_500);
  });

  it('takes the lead\'s retry_after_ms when it gave one, jittered by 0.5-1.5', () => {
    expect(handshakeRetryWaitMs({ ...base, reason: 'OVERLOADED: busy', failures: 5, retryAfterMs: 10_000, random: 0 })).toBe(5_000);
    expect(handshakeRetryWaitMs({ ...base, reason: 'OVERLOADED: busy', failures: 5, retryAfterMs: 10_000, random: 0.999 })).toBeCloseTo(14_990);
  });
});
