import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { LeaseBoard } from './lease-board.js';
import type { LeaseEvent } from './lease-keeper.js';
import type { FromLeaseThread, LeaseThreadData, RideStep, ToLeaseThread } from './lease-thread-protocol.js';
import { ThreadedLease } from './threaded-lease.js';

/** The lease thread's stand-in: the test writes the board and posts its messages by hand. */
class FakeThread extends EventEmitter {
  board!: LeaseBoard;
  readonly told: ToLeaseThread[] = [];
  postMessage(message: ToLeaseThread): void {
    this.told.push(message);
  }
  terminate(): Promise<number> {
    this.emit('exit', 0);
    return Promise.resolve(0);
  }
  say(message: FromLeaseThread): void {
    this.emit('message', message);
  }
}

const DATA = {
  nats: { servers: ['nats://127.0.0.1:4222'], name: 'lead', reconnectWaitMs: 100 },
  lease: { bucket: 'b', key: 'k', ttlMs: 1_000, rideThroughMs: 0, replicas: 1, holder: 'lead@1' },
  stallMs: 2_000,
  log: { level: 'silent' as const, leadId: 'lead', clusterId: 'c' },
};

function setup() {
  const clock = { now: 10_000 };
  let alive = true;
  const thread = new FakeThread();
  const events: LeaseEvent[] = [];
  const steps: RideStep[] = [];
  const lease = new ThreadedLease(
    {
      logger: silentLogger(),
      alive: () => alive,
      now: () => clock.now,
      beatEveryMs: 60_000,
      spawn: (data: LeaseThreadData) => {
        thread.board = new LeaseBoard(data.board);
        return thread as unknown as Worker;
      },
    },
    DATA,
    { opened: () => undefined, openFailed: () => undefined, change: (event) => events.push(event), ride: (step) => steps.push(step) },
  );
  lease.start();
  return { clock, thread, events, steps, lease, setAlive: (value: boolean) => (alive = value) };
}

describe('LeaseBoard', () => {
  it('holds one epoch, renews its deadline, and never takes another after a loss', () => {
    const board = new LeaseBoard();
    expect(board.lease()).toBeNull();
    board.hold({ epoch: 7, validUntil: 1_000.5 });
    board.hold({ epoch: 7, validUntil: 1_500 });
    expect(board.lease()).toEqual({ epoch: 7, validUntil: 1_500 });
    expect(() => board.hold({ epoch: 9, validUntil: 2_000 })).toThrow(/already holds epoch 7/);
    board.lose('taken');
    expect(board.lease()).toBeNull();
    expect(board.loss()).toBe('taken');
    expect(() => board.hold({ epoch: 9, validUntil: 2_000 })).toThrow(/never taken again/);
  });

  it('carries the main thread\'s beat to the other side of the shared memory', () => {
    const main = new LeaseBoard();
    const thread = new LeaseBoard(main.buffer);
    expect(thread.lastBeat()).toBe(Number.NEGATIVE_INFINITY);
    main.beat(1_234.567);
    expect(thread.lastBeat()).toBeCloseTo(1_234.567, 3);
  });

  it('carries the epoch floor of the followed state to the lease thread', () => {
    const main = new LeaseBoard();
    const thread = new LeaseBoard(main.buffer);
    expect(thread.epochFloor()).toBe(0);
    main.setEpochFloor(4_321);
    expect(thread.epochFloor()).toBe(4_321);
  });
});

describe('ThreadedLease (main thread side)', () => {
  it('beats only while the lead is alive', () => {
    const { thread, clock, setAlive, lease } = setup();
    expect(thread.board.lastBeat()).toBe(10_000);
    setAlive(false);
    clock.now = 10_500;
    (lease as unknown as { beat(): void }).beat();
    expect(thread.board.lastBeat()).toBe(10_000);
  });

  it('answers epoch() from the board with its own look at the clock, and stops at the deadline without any message', () => {
    const { thread, clock, events, lease } = setup();
    expect(lease.epoch()).toBeNull();
    thread.board.hold({ epoch: 41, validUntil: 10_900 });
    thread.say({ type: 'acquired', epoch: 41 });
    expect(events).toEqual([{ type: 'acquired', epoch: 41, at: 10_000 }]);
    expect(lease.epoch()).toBe(41);
    thread.board.hold({ epoch: 41, validUntil: 11_150 });
    clock.now = 11_149;
    expect(lease.epoch()).toBe(41);
    // The thread wrote no renewal (stalled, cut off): the deadline alone says no.
    clock.now = 11_150;
    expect(lease.epoch()).toBeNull();
    expect(events.at(-1)).toEqual({ type: 'lost', epoch: 41, reason: 'expired', at: 11_150 });
    // And it stays no, even if a late write reached the board.
    thread.board.hold({ epoch: 41, validUntil: 20_000 });
    expect(lease.epoch()).toBeNull();
    expect(events.filter((event) => event.type === 'lost')).toHaveLength(1);
  });

  it('says no as soon as the thread has written the loss on the board, before its message arrives', () => {
    const { thread, events, lease } = setup();
    thread.board.hold({ epoch: 41, validUntil: 10_900 });
    thread.say({ type: 'acquired', epoch: 41 });
    thread.board.lose('taken');
    expect(lease.epoch()).toBeNull();
    expect(events.at(-1)).toMatchObject({ type: 'lost', reason: 'taken' });
    thread.say({ type: 'lost', epoch: 41, reason: 'taken' });
    expect(events.filter((event) => event.type === 'lost')).toHaveLength(1);
  });

  it('counts the lease as lost when the thread dies', () => {
    const { thread, events, lease } = setup();
    thread.board.hold({ epoch: 41, validUntil: 10_900 });
    thread.say({ type: 'acquired', epoch: 41 });
    thread.emit('exit', 1);
    expect(events.at(-1)).toMatchObject({ type: 'lost', reason: 'expired' });
    expect(lease.epoch()).toBeNull();
  });

  it('asks the thread to release the lease on stop and waits until it has exited', async () => {
    const { thread, events, lease } = setup();
    thread.board.hold({ epoch: 41, validUntil: 10_900 });
    thread.say({ type: 'acquired', epoch: 41 });
    const stopped = lease.stop({ release: true });
    expect(thread.told).toEqual([{ type: 'stop', release: true }]);
    thread.board.lose('released');
    thread.say({ type: 'lost', epoch: 41, reason: 'released' });
    thread.say({ type: 'stopped' });
    await stopped;
    expect(events.at(-1)).toMatchObject({ type: 'lost', reason: 'released' });
    expect(lease.epoch()).toBeNull();
  });

  it('acts past the renewal\'s deadline while the thread rides through, and passes the ride\'s steps on', () => {
    const { clock, thread, steps, lease } = setup();
    thread.board.hold({ epoch: 7, validUntil: 10_900 });
    thread.say({ type: 'acquired', epoch: 7 });
    // A witness round sent at 10,500 moved the deadline (send time + TTL - margin).
    thread.board.hold({ epoch: 7, validUntil: 11_400 });
    thread.say({ type: 'ride', ride: 'extended' });
    clock.now = 11_000;
    expect(lease.epoch()).toBe(7);
    thread.say({ type: 'ride', ride: 'ended' });
    expect(steps).toEqual(['extended', 'ended']);
    clock.now = 11_400;
    expect(lease.epoch()).toBeNull();
  });
});
