import { describe, expect, it } from 'vitest';
import { InputConditioner, type Timers } from './input-conditioner.js';

/** Timers driven by hand: advance(ms) fires what is due, in order. */
function manualTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  let next = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    set: (fn, ms) => {
      const id = next++;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clear: (handle) => void due.delete(handle as number),
    advance(ms) {
      now += ms;
      for (const [id, timer] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (timer.at > now) continue;
        due.delete(id);
        timer.fn();
      }
    },
  };
}

describe('InputConditioner (edges injected behind the backend interface)', () => {
  it('a bouncing press is one event, stamped when the burst began', () => {
    const timers = manualTimers();
    const events: [boolean, number][] = [];
    const c = new InputConditioner({ debounceMs: 20, activeLow: false, edge: 'both', timers }, (v, at) => events.push([v, at]));
    c.prime(false);
    for (const [level, at] of [[true, 100], [false, 102], [true, 105], [false, 107], [true, 110]] as const) c.onRaw({ level, atLocal: at });
    timers.advance(19);
    expect(events).toEqual([]);
    timers.advance(1);
    expect(events).toEqual([[true, 100]]);
  });

  it('a glitch that bounces back to the settled level reports nothing', () => {
    const timers = manualTimers();
    const events: boolean[] = [];
    const c = new InputConditioner({ debounceMs: 10, activeLow: false, edge: 'both', timers }, (v) => events.push(v));
    c.prime(false);
    c.onRaw({ level: true, atLocal: 1 });
    c.onRaw({ level: false, atLocal: 2 });
    timers.advance(10);
    expect(events).toEqual([]);
  });

  it('active-low inverts (a button to ground reads true when pressed); rising keeps only presses, in order', () => {
    const timers = manualTimers();
    const events: [boolean, number][] = [];
    const c = new InputConditioner({ debounceMs: 0, activeLow: true, edge: 'rising', timers }, (v, at) => events.push([v, at]));
    expect(c.prime(true)).toBe(false); // pulled up, not pressed
    c.onRaw({ level: false, atLocal: 10 }); // pressed
    c.onRaw({ level: true, atLocal: 20 }); // released: not reported
    c.onRaw({ level: false, atLocal: 30 }); // pressed again
    expect(events).toEqual([
      [true, 10],
      [true, 30],
    ]);
    expect(c.value).toBe(true);
  });
});
