import { describe, expect, it } from 'vitest';
import { REPLAY_WINDOW_SIZE, ReplayWindow } from './replay-window.js';

describe('ReplayWindow', () => {
  it('takes rising numbers, refuses a repeat', () => {
    const w = new ReplayWindow();
    expect(w.take(5)).toBe('new');
    expect(w.take(6)).toBe('new');
    expect(w.take(6)).toBe('replayed');
    expect(w.take(5)).toBe('replayed');
    expect(w.highest).toBe(6);
  });

  it('takes a reordered number inside the window once, refuses one below it', () => {
    const w = new ReplayWindow();
    w.take(100);
    expect(w.take(100 - (REPLAY_WINDOW_SIZE - 1))).toBe('reordered');
    expect(w.take(100 - (REPLAY_WINDOW_SIZE - 1))).toBe('replayed');
    expect(w.take(100 - REPLAY_WINDOW_SIZE)).toBe('too_old');
    expect(w.take(70)).toBe('reordered');
    expect(w.peek(70)).toBe('replayed');
  });

  it('keeps what it took across slides of every width (checked against a set)', () => {
    const w = new ReplayWindow();
    const seen = new Set<number>();
    let top = -1;
    // A deterministic walk: forward by 1..70, then a few looks back.
    let x = 7;
    const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let step = 0; step < 2000; step++) {
      const seq = rand() < 0.6 ? top + 1 + Math.floor(rand() * 70) : Math.max(0, top - Math.floor(rand() * 80));
      const expected = seq > top ? 'new' : top - seq >= REPLAY_WINDOW_SIZE ? 'too_old' : seen.has(seq) ? 'replayed' : 'reordered';
      expect(w.take(seq)).toBe(expected);
      if (expected === 'new' || expected === 'reordered') seen.add(seq);
      top = Math.max(top, seq);
    }
  });

  it('refuses numbers that are not sequence numbers', () => {
    const w = new ReplayWindow();
    expect(w.take(-1)).toBe('too_old');
    expect(w.take(1.5)).toBe('too_old');
    expect(w.take(2 ** 40)).toBe('new');
    expect(w.take(2 ** 40 - 3)).toBe('reordered');
  });
});
