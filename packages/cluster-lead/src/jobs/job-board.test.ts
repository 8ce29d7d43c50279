import { describe, expect, it } from 'vitest';
import { JobBoard, type JobEnd } from './job-board.js';

function deferred(): { promise: Promise<JobEnd>; resolve: (end: JobEnd) => void; reject: (error: Error) => void } {
  let resolve: (end: JobEnd) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<JobEnd>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('JobBoard', () => {
  it('turns a rejected job into FAILED INTERNAL, and finishes a polled job on read', async () => {
    let now = 100;
    const board = new JobBoard(() => now);
    const work = deferred();
    board.start({ id: 'j-1', kind: 'scatter_gather', state: 'RUNNING', done: work.promise });
    work.reject(new Error('engine blew up'));
    await work.promise.catch(() => undefined);
    await Promise.resolve();
    expect(board.get('j-1')).toMatchObject({ state: 'FAILED', error: { code: 'INTERNAL', message: 'engine blew up' } });

    const cascade: { end?: JobEnd } = {};
    board.start({ id: 'j-2', kind: 'cascade', state: 'RUNNING', poll: () => cascade.end });
    expect(board.get('j-2')?.state).toBe('RUNNING');
    now = 200;
    cascade.end = { ok: true, result: { status: 'SUCCESS' } };
    expect(board.get('j-2')).toMatchObject({ state: 'SUCCEEDED', result: { status: 'SUCCESS' }, createdAt: 100, updatedAt: 200 });
  });

  it('keeps at most maxJobs, dropping the oldest finished ones and never a live one', () => {
    const board = new JobBoard(() => 0, 2);
    board.start({ id: 'live', kind: 'heal', state: 'RUNNING', done: new Promise(() => undefined) });
    board.start({ id: 'done-1', kind: 'heal', state: 'RUNNING', done: { ok: true, result: 1 } });
    board.start({ id: 'done-2', kind: 'heal', state: 'RUNNING', done: { ok: true, result: 2 } });
    board.start({ id: 'done-3', kind: 'heal', state: 'RUNNING', done: { ok: true, result: 3 } });
    expect(['live', 'done-1', 'done-2', 'done-3'].filter((id) => board.has(id))).toEqual(['live', 'done-3']);
  });

  it('tells its observer of every start and change, restores another lead\'s views without telling, and adopts only live ones', () => {
    let now = 10;
    const board = new JobBoard(() => now);
    const seen: string[] = [];
    board.observe((view) => {
      seen.push(`${view.id}:${view.state}`);
    });
    board.start({ id: 'j-1', kind: 'heal', state: 'RUNNING', done: { ok: true, result: 1 } });
    expect(seen).toEqual(['j-1:RUNNING', 'j-1:SUCCEEDED']);

    board.restore({ id: 'r-1', kind: 'delegation', state: 'RUNNING', createdAt: 1, updatedAt: 2 });
    board.restore({ id: 'r-2', kind: 'cascade', state: 'FAILED', createdAt: 1, updatedAt: 2, error: { code: 'CASCADE_FAILED', message: 'x' } });
    board.restore({ id: 'r-1', kind: 'delegation', state: 'CANCELLING', createdAt: 1, updatedAt: 3 });
    expect(seen).toHaveLength(2);
    expect(board.live().map((view) => `${view.id}:${view.state}`)).toEqual(['r-1:CANCELLING']);

    expect(board.adopt('r-2', { done: { ok: true, result: null } })).toBe(false);
    now = 20;
    expect(board.adopt('r-1', { done: { ok: false, code: 'FAILED_OVER', message: 'lead died' } })).toBe(true);
    expect(board.get('r-1')).toMatchObject({ state: 'CANCELLED', error: { code: 'FAILED_OVER' }, createdAt: 1, updatedAt: 20 });
    expect(seen.at(-1)).toBe('r-1:CANCELLED');
    expect(board.live()).toEqual([]);
  });

  it('says a job is copied only once its observer has the latest change, and gives up after the wait', async () => {
    const board = new JobBoard(() => 0);
    expect(await board.copied('unknown', 10)).toBe(true);
    const landings: Array<(ok: boolean) => void> = [];
    board.observe(() => new Promise<boolean>((resolve) => landings.push(resolve)));
    board.start({ id: 'j-1', kind: 'heal', state: 'RUNNING', done: new Promise(() => undefined) });
    let copied: boolean | undefined;
    const waiting = board.copied('j-1', 60_000).then((ok) => (copied = ok));
    await Promise.resolve();
    expect(copied).toBeUndefined();
    landings[0]!(true);
    await waiting;
    expect(copied).toBe(true);
    // A copy that never lands: false once the wait is over, not a hang.
    board.start({ id: 'j-2', kind: 'heal', state: 'RUNNING', done: new Promise(() => undefined) });
    expect(await board.copied('j-2', 5)).toBe(false);
    // The observer gave up (a failed publish): false at once.
    board.start({ id: 'j-3', kind: 'heal', state: 'RUNNING', done: new Promise(() => undefined) });
    landings[2]!(false);
    expect(await board.copied('j-3', 60_000)).toBe(false);
  });
});
