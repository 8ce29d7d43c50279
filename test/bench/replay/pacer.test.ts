import { describe, expect, it } from 'vitest';
import { answerOutcome } from './pacer.js';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe('answerOutcome', () => {
  it('reads a signed reply as accepted or by its refusal code, and an unsigned refusal by its code', () => {
    expect(answerOutcome(bytes({ kind: 'HEARTBEAT_REPLY', accepted: true }), true)).toBe('accepted');
    expect(answerOutcome(bytes({ kind: 'HEARTBEAT_REPLY', accepted: false, reason_code: 'STALE_SEQUENCE' }), true)).toBe('STALE_SEQUENCE');
    expect(answerOutcome(bytes({ code: 'OVERLOADED', message: 'retry later' }), false)).toBe('OVERLOADED');
    expect(answerOutcome(new Uint8Array([0xff]), false)).toBe('UNREADABLE_ANSWER');
  });
});
