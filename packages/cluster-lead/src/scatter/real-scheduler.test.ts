import { describe, expect, it } from 'vitest';
import { RealScheduler, performanceClock } from './real-scheduler.js';

describe('RealScheduler', () => {
  it('fires a task no earlier than its time, in order, and never a cancelled one', async () => {
    const errors: unknown[] = [];
    const scheduler = new RealScheduler({ clock: performanceClock, onError: (e) => errors.push(e) });
    const fired: { name: string; at: number; due: number }[] = [];
    const start = performanceClock.now();
    const due = (name: string, offset: number) => {
      const at = start + offset;
      return new Promise<void>((resolve) => {
        scheduler.at(at, () => {
          fired.push({ name, at: performanceClock.now(), due: at });
          resolve();
        }, 'send');
      });
    };
    const cancelled = scheduler.at(start + 5, () => void fired.push({ name: 'cancelled', at: 0, due: 0 }), 'send');
    cancelled.cancel();
    await Promise.all([due('second', 12), due('first', 4), due('past', -50)]);
    expect(fired.map((f) => f.name)).toEqual(['past', 'first', 'second']);
    for (const f of fired) expect(f.at).toBeGreaterThanOrEqual(f.due);
    expect(errors).toEqual([]);
  });

  it('runs tasks that are already due earliest first, whatever order they were scheduled in', async () => {
    const scheduler = new RealScheduler({ clock: performanceClock, onError: () => undefined });
    const now = performanceClock.now();
    const fired: string[] = [];
    await new Promise<void>((resolve) => {
      scheduler.at(now - 1, () => void fired.push('1 ms ago'), 'send');
      scheduler.at(now - 30, () => void fired.push('30 ms ago'), 'send');
      scheduler.at(now - 10, () => void fired.push('10 ms ago'), 'send');
      scheduler.at(now - 10, () => resolve(), 'send');
      scheduler.at(now + 1, () => resolve(), 'send');
    });
    expect(fired).toEqual(['30 ms ago', '10 ms ago', '1 ms ago']);
  });

  it('a task may schedule and cancel others while it runs', async () => {
    const scheduler = new RealScheduler({ clock: performanceClock, onError: () => undefined });
    const fired: string[] = [];
    const start = performanceClock.now();
    await new Promise<void>((resolve) => {
      const doomed = scheduler.at(start + 3, () => void fired.push('doomed'), 'send');
      scheduler.at(start, () => {
        fired.push('outer');
        doomed.cancel();
        scheduler.at(start + 5, () => {
          fired.push('inner');
          resolve();
        }, 'send');
      }, 'send');
    });
    expect(fired).toEqual(['outer', 'inner']);
  });

  it('hands a failing task to onError instead of throwing', async () => {
    const failed = new Promise<unknown>((resolve) => {
      const scheduler = new RealScheduler({ clock: performanceClock, onError: (error) => resolve(error) });
      scheduler.at(performanceClock.now(), () => Promise.reject(new Error('boom')), 'deadline');
    });
    expect(await failed).toBeInstanceOf(Error);
  });
});
