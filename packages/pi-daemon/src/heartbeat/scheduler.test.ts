import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { BeatScheduler, slotEnd, type BeatTask } from './scheduler.js';

function counter(intervalMs: number): BeatTask & { beats: number } {
  return {
    beats: 0,
    beat() {
      this.beats++;
    },
    nextIntervalMs: () => intervalMs,
  };
}

describe('BeatScheduler', () => {
  it('serves many tasks from one timer, a few per event-loop turn, at their intervals', async () => {
    const scheduler = new BeatScheduler({ beatsPerTurn: 3 });
    const tasks = Array.from({ length: 50 }, () => counter(20));
    for (const task of tasks) scheduler.add(task, 0);
    await new Promise<void>((resolve) => {
      const sentinel: BeatTask = { beat: () => resolve(), nextIntervalMs: () => 1_000 };
      scheduler.add(sentinel, 110);
    });
    scheduler.stop();
    // ~0, 20, 40, 60, 80, 100 ms: five or six beats each, never a burst of dozens.
    for (const task of tasks) {
      expect(task.beats).toBeGreaterThanOrEqual(2);
      expect(task.beats).toBeLessThanOrEqual(7);
    }
    expect(scheduler.started).toBeGreaterThanOrEqual(150);
  });

  it('stops beating a removed task, and reschedules on request', async () => {
    const scheduler = new BeatScheduler();
    const removed = counter(5);
    const moved = counter(60_000);
    const handle = scheduler.add(removed, 0);
    const movedHandle = scheduler.add(moved, 60_000);
    await new Promise<void>((resolve) => scheduler.add({ beat: () => resolve(), nextIntervalMs: () => 60_000 }, 1));
    handle.remove();
    const before = removed.beats;
    movedHandle.reschedule(0);
    await new Promise<void>((resolve) => scheduler.add({ beat: () => resolve(), nextIntervalMs: () => 60_000 }, 30));
    scheduler.stop();
    expect(removed.beats).toBe(before);
    expect(moved.beats).toBe(1);
  });

  it('waits while a precise release is imminent', async () => {
    let quiet = true;
    let checks = 0;
    let sawThreeChecks: () => void = () => undefined;
    const threeChecks = new Promise<void>((resolve) => (sawThreeChecks = resolve));
    const imminentWithin = (): boolean => {
      if (++checks === 3) sawThreeChecks();
      return quiet;
    };
    const scheduler = new BeatScheduler({ quiet: { imminentWithin } });
    const task = counter(60_000);
    scheduler.add(task, 0);
    // The scheduler looked three times and found a release imminent each time: no beat yet.
    await threeChecks;
    expect(task.beats).toBe(0);
    quiet = false;
    await new Promise<void>((resolve) => scheduler.add({ beat: () => resolve(), nextIntervalMs: () => 60_000 }, 0));
    expect(task.beats).toBe(1);
    scheduler.stop();
  });

  it('with slots, starts the beats due in one slot together at its end, never early', async () => {
    const scheduler = new BeatScheduler({ beatsPerTurn: 100, tickMs: 50 });
    const startedAt: { due: number; at: number }[] = [];
    const base = performance.now();
    for (let k = 0; k < 40; k++) {
      const due = base + k;
      scheduler.add({ beat: () => void startedAt.push({ due, at: performance.now() }), nextIntervalMs: () => 60_000 }, k);
    }
    await new Promise<void>((resolve) => scheduler.add({ beat: () => resolve(), nextIntervalMs: () => 60_000 }, 150));
    scheduler.stop();
    expect(startedAt).toHaveLength(40);
    for (const beat of startedAt) {
      expect(beat.at).toBeGreaterThanOrEqual(beat.due - 1); // setTimeout's whole-ms rounding
    }
    // 40 beats 1 ms apart fall in at most two 50 ms slots; the sentinel in one more.
    expect(scheduler.batches).toBeLessThanOrEqual(3);
  });
});

describe('slotEnd', () => {
  it('rounds a due time up to its slot boundary, or leaves it without slots', () => {
    expect(slotEnd(101, 20)).toBe(120);
    expect(slotEnd(120, 20)).toBe(120);
    expect(slotEnd(101.5, 0)).toBe(101.5);
  });
});
