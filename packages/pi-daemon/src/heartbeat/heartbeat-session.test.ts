import { describe, expect, it } from 'vitest';
import { HELD_TIMEOUTS, handshakeRetryWaitMs, holdsSignedBeats } from './heartbeat-session.js';

describe('handshake retry wait', () => {
  const base = { intervalMs: 5_000, random: 0.5 };

  it('doubles per failure from one interval, up to 64 intervals', () => {
    expect([1, 2, 3, 7, 8, 20].map((failures) => handshakeRetryWaitMs({ ...base, reason: 'BAD_SIGNATURE: no', failures }))).toEqual([5_000, 10_000, 20_000, 320_000, 320_000, 320_000]);
  });

  it('asks a lead that timed out again each interval for HELD_TIMEOUTS failures, then doubles from there', () => {
    const waits = [1, HELD_TIMEOUTS, HELD_TIMEOUTS + 1, HELD_TIMEOUTS + 2, HELD_TIMEOUTS + 3].map((failures) => handshakeRetryWaitMs({ ...base, reason: 'TIMEOUT', failures }));
    expect(waits).toEqual([5_000, 5_000, 5_000, 10_000, 20_000]);
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

  it('takes at most four intervals of a retry_after_ms (the answer is unsigned: a forged one must not silence the agent for long)', () => {
    expect(handshakeRetryWaitMs({ ...base, reason: 'OVERLOADED: busy', failures: 1, retryAfterMs: 86_400_000 })).toBe(20_000);
  });
});

describe('signed beats held back after a failed handshake', () => {
  it('while the lead shed the HELLO (it said when to come back) or timed out, up to HELD_TIMEOUTS in a row', () => {
    expect(holdsSignedBeats({ reason: 'OVERLOADED: busy', failures: 9, retryAfterMs: 1_000 })).toBe(true);
    expect(holdsSignedBeats({ reason: 'TIMEOUT', failures: HELD_TIMEOUTS })).toBe(true);
    expect(holdsSignedBeats({ reason: 'TIMEOUT', failures: HELD_TIMEOUTS + 1 })).toBe(false);
  });

  it('not when no lead listens or the lead refused for another reason: it will not open a session, so beats go signed', () => {
    expect(holdsSignedBeats({ reason: 'NO_RESPONDERS', failures: 0 })).toBe(false);
    expect(holdsSignedBeats({ reason: 'NOT_ENROLLED: unknown key', failures: 1 })).toBe(false);
    expect(holdsSignedBeats({ reason: 'BAD_SIGNATURE: no', failures: 1 })).toBe(false);
  });
});
