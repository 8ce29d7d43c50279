import { describe, expect, it } from 'vitest';
import { LiveFeed } from './live-feed.js';

describe('LiveFeed', () => {
  it('asks a first connection for a snapshot, then delivers what is published', async () => {
    const feed = new LiveFeed();
    feed.publish('status', { n: 1 });
    const start = feed.subscribe(undefined);
    if (!start.ok) throw new Error('refused');
    expect(start.replay).toBe('snapshot');
    expect(start.lastId).toBe(1);
    feed.publish('status', { n: 2 });
    expect(await start.subscription.next()).toEqual([{ id: 2, type: 'status', data: { n: 2 } }]);
  });

  it('replays from the backlog after Last-Event-ID, and sends a snapshot once the backlog has moved past it', () => {
    const feed = new LiveFeed({ backlog: 3 });
    for (let n = 1; n <= 5; n++) feed.publish('e', n);
    const covered = feed.subscribe(3);
    expect(covered.ok && covered.replay !== 'snapshot' && covered.replay.map((e) => e.id)).toEqual([4, 5]);
    const upToDate = feed.subscribe(5);
    expect(upToDate.ok && upToDate.replay).toEqual([]);
    const tooOld = feed.subscribe(1);
    expect(tooOld.ok && tooOld.replay).toBe('snapshot');
    const fromTheFuture = feed.subscribe(99);
    expect(fromTheFuture.ok && fromTheFuture.replay).toBe('snapshot');
  });

  it('cuts off a browser that falls behind its queue, and forgets it', async () => {
    const feed = new LiveFeed({ queuePerClient: 2 });
    const start = feed.subscribe(undefined);
    if (!start.ok) throw new Error('refused');
    for (let n = 0; n < 3; n++) feed.publish('e', n);
    expect(start.subscription.closed).toBe(true);
    expect(start.subscription.endReason).toBe('overflow');
    expect(await start.subscription.next()).toEqual([]);
    expect(feed.clients).toBe(0);
  });

  it('refuses browsers beyond maxClients', () => {
    const feed = new LiveFeed({ maxClients: 1 });
    expect(feed.subscribe(undefined).ok).toBe(true);
    expect(feed.subscribe(undefined).ok).toBe(false);
  });
});
