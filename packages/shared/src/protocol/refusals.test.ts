import { describe, expect, it } from 'vitest';
import { REFUSAL, TRANSIT_REFUSAL, isPermanentRefusal, isTransitRefusal } from './refusals.js';

describe('isPermanentRefusal', () => {
  it('counts the message-is-wrong and operation-is-gone codes as permanent', () => {
    for (const code of ['INVALID_FIELDS', 'SIGNER_MISMATCH', 'NOT_A_TARGET', REFUSAL.UNKNOWN_OPERATION, REFUSAL.LATE]) expect(isPermanentRefusal(code)).toBe(true);
  });
  it('retries what a later try can cure: clocks settling, keys and enrollments not yet known, a busy lead', () => {
    for (const code of ['EXPIRED', 'FROM_THE_FUTURE', 'BAD_SIGNATURE', 'NOT_ENROLLED', 'STORE_FAILED', 'INTERNAL', 'TIMEOUT', 'something new']) {
      expect(isPermanentRefusal(code)).toBe(false);
    }
  });
});

describe('transit refusals', () => {
  it('names the codes by which an agent refuses work it cannot run, and nothing else', () => {
    expect(isTransitRefusal(TRANSIT_REFUSAL.FRAME_REFUSED)).toBe(true);
    expect(isTransitRefusal(TRANSIT_REFUSAL.VERB_UNSUPPORTED)).toBe(true);
    expect(isTransitRefusal(TRANSIT_REFUSAL.PAYLOAD_INVALID)).toBe(true);
    expect(isTransitRefusal('HANDLER_FAILED')).toBe(false);
    expect(isTransitRefusal('OVERSIZED')).toBe(false);
  });
});
