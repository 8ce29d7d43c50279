import { describe, expect, it } from 'vitest';
import { ArrivalQueue } from './arrival-queue.js';
import type { ArrivalRecord } from './arrival-tap.js';

const record = (agent: string): ArrivalRecord => ({ agent_id: agent, operation_id: 'op', mode: 'hold', target_time: 0, ready_true_ms: 0, ready_local_ms: 0, true_offset_ms: 0, offset_error_ms: 0, finished_mesh_ms: 0 });

describe('ArrivalQueue', () => {
  it('writes nothing in the turn that queued the records, then all of them together', async () => {
    const written: string[] = [];
    const queue = new ArrivalQueue((r) => written.push(r.agent_id));
    queue.push(record('a'));
    queue.push(record('b'));
    await Promise.resolve();
    expect(written).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual(['a', 'b']);
    expect(queue.size).toBe(0);
  });

  it('builds a record given as a function only at the flush, in order with the others', async () => {
    const written: string[] = [];
    const queue = new ArrivalQueue((r) => written.push(r.agent_id));
    let built = 0;
    queue.push(record('a'));
    queue.push(() => {
      built++;
      return record('b');
    });
    await Promise.resolve();
    expect(built).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(built).toBe(1);
    expect(written).toEqual(['a', 'b']);
  });

  it('keeps writing the rest when one write fails, and reports the failure', () => {
    const written: string[] = [];
    const errors: unknown[] = [];
    const queue = new ArrivalQueue((r) => {
      if (r.agent_id === 'bad') throw new Error('disk full');
      written.push(r.agent_id);
    }, (e) => errors.push(e));
    queue.push(record('bad'));
    queue.push(record('ok'));
    queue.flush();
    expect(written).toEqual(['ok']);
    expect(errors).toHaveLength(1);
  });

  it('with a delay, writes what was queued meanwhile together once it has passed', async () => {
    const written: string[] = [];
    const queue = new ArrivalQueue((r) => written.push(r.agent_id), undefined, 30);
    const start = performance.now();
    queue.push(record('a'));
    await new Promise((resolve) => setImmediate(resolve));
    queue.push(record('b'));
    expect(written).toEqual([]);
    while (written.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(performance.now() - start).toBeGreaterThanOrEqual(29);
    expect(written).toEqual(['a', 'b']);
  });
});
