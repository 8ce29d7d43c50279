import { ManualClock } from '@mesh30k/shared';
import { beforeEach, describe, expect, it } from 'vitest';
import { excusedBy } from './blame.js';
import { GuardRails, type LagMonitor } from './registry/guard-rails.js';

const T0 = 1_800_000_000_000;
const OPTIONS = { restartGraceMs: 10_000, timeoutFactor: 2, lagThresholdMs: 200, lagGraceMs: 5_000 };

/** A lag monitor the test sets: the next reading returns `next`, then 0. */
class SetLag implements LagMonitor {
  next = 0;
  takeMaxLagMs(): number {
    const lag = this.next;
    this.next = 0;
    return lag;
  }
  close(): void {}
}

describe('blame: a straggler while the lead itself was impaired is not the agent\'s fault', () => {
  let clock: ManualClock;
  let lag: SetLag;
  let guard: GuardRails;

  beforeEach(() => {
    clock = new ManualClock(T0);
    lag = new SetLag();
    guard = new GuardRails({ clock, lag }, OPTIONS);
    guard.noteStart();
    clock.advance(60_000);
    guard.read();
  });

  const noAck = (sentAt: number) => excusedBy('no_ack', { sentAt }, guard);

  it('blames the agent when the lead was well all along', () => {
    const sentAt = clock.now();
    clock.advance(3_000);
    guard.read();
    expect(noAck(sentAt)).toBeNull();
  });

  it('excuses work interrupted by the lead\'s own restart, not work sent after it', () => {
    const before = clock.now();
    clock.advance(1_000);
    guard.noteStart();
    clock.advance(2_000);
    expect(noAck(before)).toBe('restart');
    expect(noAck(clock.now() - 1_000)).toBeNull();
  });

  it('excuses a no-ACK during a broker outage and its grace after, and only then', () => {
    const sentBefore = clock.now();
    clock.advance(1_000);
    guard.noteTransportLost();
    expect(noAck(sentBefore)).toBe('transport-resumed');
    clock.advance(4_000);
    guard.noteTransportResumed();
    clock.advance(OPTIONS.restartGraceMs - 1);
    expect(noAck(clock.now())).toBe('transport-resumed');
    expect(noAck(sentBefore)).toBe('transport-resumed');
    clock.advance(2);
    expect(noAck(clock.now())).toBeNull();
    // Sent long before the outage but still running when it began: the window overlaps.
    expect(noAck(sentBefore - 60_000)).toBe('transport-resumed');
  });

  it('excuses a no-ACK whose window saw the event loop lag past the threshold, until the lag grace ends', () => {
    const sentAt = clock.now();
    clock.advance(1_000);
    lag.next = 450;
    guard.read();
    expect(noAck(sentAt)).toBe('event-loop-lag');
    clock.advance(OPTIONS.lagGraceMs + 1);
    guard.read();
    expect(noAck(clock.now())).toBeNull();
    // Lag under the threshold is not an excuse.
    const later = clock.now();
    lag.next = 150;
    clock.advance(1_000);
    guard.read();
    expect(noAck(later)).toBeNull();
  });

  it('never excuses an answer: ready, transit, conflict and refused are the agent\'s own', () => {
    guard.noteTransportLost();
    for (const outcome of ['ready', 'transit', 'conflict', 'refused', 'unrunnable'] as const) {
      expect(excusedBy(outcome, { sentAt: clock.now() }, guard), outcome).toBeNull();
    }
    expect(excusedBy('no_ack', {}, guard)).toBe('transport-resumed');
    guard.noteTransportResumed();
    clock.advance(OPTIONS.restartGraceMs + 1);
    // Without a send time, only an impairment lasting until now counts (not the restart long ago).
    expect(excusedBy('no_ack', {}, guard)).toBeNull();
  });
});
