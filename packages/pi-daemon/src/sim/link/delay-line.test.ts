import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { DelayLine } from './delay-line.js';

let line: DelayLine;
afterEach(() => line.stop());

function collect(): { log: { id: string; at: number }[]; mark: (id: string) => () => void } {
  const log: { id: string; at: number }[] = [];
  return { log, mark: (id) => () => log.push({ id, at: performance.now() }) };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('DelayLine', () => {
  it('keeps one lane in order even when a later message draws a shorter delay', async () => {
    line = new DelayLine();
    const lane = line.lane();
    const { log, mark } = collect();
    const sentAt = performance.now();
    lane.send(30, mark('first'), sentAt);
    lane.send(5, mark('second'), sentAt);
    await until(() => log.length === 2);
    expect(log.map((e) => e.id)).toEqual(['first', 'second']);
    // The second waited for the first: never delivered before its own release either.
    expect(log[1]!.at - sentAt).toBeGreaterThanOrEqual(30);
  });

  it('lets lanes pass each other: a slow lane holds back only itself', async () => {
    line = new DelayLine();
    const slow = line.lane();
    const fast = line.lane();
    const { log, mark } = collect();
    const sentAt = performance.now();
    slow.send(40, mark('slow'), sentAt);
    fast.send(2, mark('fast'), sentAt);
    await until(() => log.length === 2);
    expect(log.map((e) => e.id)).toEqual(['fast', 'slow']);
    expect(log[0]!.at - sentAt).toBeGreaterThanOrEqual(2);
    expect(log[1]!.at - sentAt).toBeGreaterThanOrEqual(40);
  });

  it('measures the delay from when the message was handed over, and drops what a cleared lane held', async () => {
    line = new DelayLine();
    const lane = line.lane();
    const other = line.lane();
    const { log, mark } = collect();
    const now = performance.now();
    lane.send(10, mark('dropped'), now);
    lane.clear();
    other.send(10, mark('late-start'), now - 10);
    other.send(20, mark('after-the-dropped-one-was-due'), now);
    await until(() => log.length === 2);
    expect(log.map((e) => e.id)).toEqual(['late-start', 'after-the-dropped-one-was-due']);
    expect(log[0]!.at - now).toBeLessThan(10);
    expect(lane.queued).toBe(0);
  });

  it('tells the sender of each message a cleared lane or a stopped line dropped', () => {
    line = new DelayLine();
    const lane = line.lane();
    const other = line.lane();
    const dropped: string[] = [];
    const now = performance.now();
    lane.send(50, () => undefined, now, () => dropped.push('a1'));
    lane.send(50, () => undefined, now, () => dropped.push('a2'));
    other.send(50, () => undefined, now, () => dropped.push('b1'));
    lane.clear();
    expect(dropped).toEqual(['a1', 'a2']);
    line.stop();
    expect(dropped).toEqual(['a1', 'a2', 'b1']);
  });

  it('hands a long run over slice by slice, and takes what falls due during the run into it', async () => {
    const slices: number[] = [];
    const delivered: string[] = [];
    line = new DelayLine({ afterSlice: () => slices.push(delivered.length) });
    const start = performance.now();
    // 40 links due together, each delivery 0.1 ms of work: a 4 ms run.
    for (let k = 0; k < 40; k++) {
      line.lane().send(2, () => {
        if (k === 0) setImmediate(() => delivered.push('next-turn'));
        const from = performance.now();
        while (performance.now() - from < 0.1);
        delivered.push(`a${k}`);
      }, start);
    }
    // Falls due in the middle of that run: it joins the run, not a later turn.
    line.lane().send(3, () => delivered.push('mid-run'), start);
    await until(() => delivered.includes('next-turn'));
    expect(delivered.indexOf('mid-run')).toBeLessThan(delivered.indexOf('next-turn'));
    // Flushed between slices (each at least 0.2 ms of deliveries), not only when the run ended.
    expect(slices.length).toBeGreaterThanOrEqual(3);
    expect(slices[0]).toBeGreaterThan(0);
    expect(slices.at(-1)).toBeLessThan(41);
  });
});
