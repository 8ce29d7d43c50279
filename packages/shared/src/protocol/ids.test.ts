import { describe, expect, it } from 'vitest';
import { MessageId } from './primitives.js';
import { newMessageId, randomToken } from './ids.js';

describe('message ids', () => {
  it('are valid MessageIds, start with the time in base 36, and do not repeat across many pool refills', () => {
    const now = 1_800_000_000_123;
    const ids = Array.from({ length: 10_000 }, () => newMessageId(now));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 50)) {
      expect(MessageId.safeParse(id).success).toBe(true);
      expect(id.startsWith(`${now.toString(36)}-`)).toBe(true);
    }
  });

  it('random tokens have the asked length, use every character of the alphabet, and differ', () => {
    const tokens = Array.from({ length: 2_000 }, () => randomToken(24));
    expect(tokens.every((t) => /^[A-Za-z0-9_-]{24}$/.test(t))).toBe(true);
    expect(new Set(tokens.join('')).size).toBe(64);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(randomToken(0)).toBe('');
  });
});
