import { describe, expect, it } from 'vitest';
import { REFUSAL, isPermanentRefusal } from './refusals.js';

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
