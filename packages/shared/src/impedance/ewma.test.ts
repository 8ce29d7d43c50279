import { describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import { alphaFromHalfLife, Ewma, ewmaStep, resolveAlpha } from './ewma.js';

describe('Ewma', () => {
  it('halves a sample weight after one half-life', () => {
    const alpha = alphaFromHalfLife(10);
    expect((1 - alpha) ** 10).toBeCloseTo(0.5, 12);
  });

  it('is undefined before the first sample', () => {
    const e = new Ewma({ alpha: 0.1 });
    expect(e.mean).toBeUndefined();
    expect(e.count).toBe(0);
    expect(e.variance).toBe(0);
  });

  it('gives the arithmetic mean and population variance while warming up', () => {
    const e = new Ewma({ alpha: 0.01 });
    for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) e.update(x);
    expect(e.mean).toBeCloseTo(5, 12);
    expect(e.stdDev).toBeCloseTo(2, 12);
  });

  it('converges to a new level after a step change', () => {
    const e = new Ewma({ halfLife: 5 });
    for (let i = 0; i < 50; i++) e.update(100);
    for (let i = 0; i < 100; i++) e.update(200);
    expect(e.mean).toBeCloseTo(200, 3);
    expect(e.stdDev).toBeLessThan(0.1);
  });

  it('tracks the mean and spread of an alternating signal', () => {
    const e = new Ewma({ alpha: 0.02 });
    for (let i = 0; i < 2000; i++) e.update(i % 2 === 0 ? 90 : 110);
    expect(e.mean).toBeGreaterThan(99);
    expect(e.mean).toBeLessThan(101);
    expect(e.stdDev).toBeGreaterThan(9.5);
    expect(e.stdDev).toBeLessThan(10.5);
  });

  it('steps a packed slot without touching its neighbours', () => {
    const state = [7, 7, 7, 0, 0, 0, 7, 7, 7];
    ewmaStep(state, 3, 0.5, 10);
    ewmaStep(state, 3, 0.5, 20);
    expect(state).toEqual([7, 7, 7, 2, 15, 25, 7, 7, 7]);
  });

  it('resets', () => {
    const e = new Ewma();
    e.update(3);
    e.reset();
    expect(e.mean).toBeUndefined();
  });

  it('rejects bad alpha, half-life and samples', () => {
    expect(() => resolveAlpha({ alpha: 0 })).toThrow(MeshError);
    expect(() => resolveAlpha({ alpha: 1.5 })).toThrow(MeshError);
    expect(() => alphaFromHalfLife(-1)).toThrow(MeshError);
    expect(() => new Ewma().update(Number.NaN)).toThrow(MeshError);
    expect(resolveAlpha({ alpha: 1 })).toBe(1);
  });
});
