import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ESCAPE_CODE, NULL_CODE, decodeDuration, decodeScore, encodeDuration, encodeScore, fromMicros, toMicros } from './history-codec.js';

describe('history codes', () => {
  it('keeps a score to 0.02 (error <= 0.01) over 0..1000 and beyond, and never lands on a reserved code', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1310.6, noNaN: true }), (score) => {
        const code = encodeScore(score);
        expect(code).toBeLessThan(NULL_CODE);
        expect(Math.abs(decodeScore(code) - score)).toBeLessThanOrEqual(0.01 + 1e-9);
      }),
    );
    expect([encodeScore(Number.NaN), encodeScore(Number.POSITIVE_INFINITY)]).toEqual([NULL_CODE, NULL_CODE]);
    expect([encodeScore(-0.5), encodeScore(5_000)]).toEqual([ESCAPE_CODE, ESCAPE_CODE]);
    // Short decimals come back as themselves.
    expect([290.02, 11, 0, 1000].map((s) => decodeScore(encodeScore(s)))).toEqual([290.02, 11, 0, 1000]);
  });

  it('keeps a duration to 1 µs below 16.38 ms and to 0.031% above, up to 16,381 ms', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 16_381, noNaN: true }), (ms) => {
        const code = encodeDuration(ms);
        expect(code).toBeLessThan(NULL_CODE);
        const error = Math.abs(decodeDuration(code) - ms);
        expect(error <= 0.0005 + 1e-12 || error <= ms * 0.00031).toBe(true);
      }),
    );
    expect([encodeDuration(Number.NaN), encodeDuration(Number.NEGATIVE_INFINITY)]).toEqual([NULL_CODE, NULL_CODE]);
    expect([encodeDuration(-1), encodeDuration(16_382), encodeDuration(1e9)]).toEqual([ESCAPE_CODE, ESCAPE_CODE, ESCAPE_CODE]);
    expect([1.9, 2.5, 12.5, 163.8, 0.001, 16_381].map((ms) => decodeDuration(encodeDuration(ms)))).toEqual([1.9, 2.5, 12.5, 163.8, 0.001, 16_381]);
  });

  it('rounds offsets to whole µs', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), (ms) => {
        expect(Math.abs(fromMicros(toMicros(ms)) - ms)).toBeLessThanOrEqual(0.0005 + Math.abs(ms) * 1e-15);
      }),
    );
    expect(fromMicros(toMicros(-0.84))).toBe(-0.84);
  });
});
