import { describe, expect, it } from 'vitest';
import { UplinkTicket } from './uplink-ticket.js';

describe('UplinkTicket', () => {
  it('tells listeners the hand-over instant once, and late listeners at once', () => {
    const ticket = new UplinkTicket();
    ticket.delayMs = 3;
    const seen: number[] = [];
    ticket.whenHanded((at) => seen.push(at));
    ticket.handed(42);
    ticket.handed(50);
    ticket.whenHanded((at) => seen.push(at));
    expect(seen).toEqual([42, 42]);
    expect(ticket.delayMs).toBe(3);
  });

  it('says NaN for a message the link dropped', () => {
    const ticket = new UplinkTicket();
    const seen: number[] = [];
    ticket.whenHanded((at) => seen.push(at));
    ticket.dropped();
    ticket.handed(42);
    expect(seen).toEqual([Number.NaN]);
  });
});
