import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { LeaseKeeper, type LeaseEvent, type RideEvent } from './lease-keeper.js';
import type { LeaseRecord } from './lease-record.js';
import type { LeaseObservation, LeaseStore } from './lease-store.js';
import type { WitnessLink, WitnessRequest } from './lease-witness.js';

const TTL_MS = 1_000;

/** A KV key in memory with the server's rules: compare-and-set on revision, expiry after the max age, one revision counter per bucket. */
class FakeLeaseStore implements LeaseStore {
  readonly ttlMs = TTL_MS;
  /** The bucket's max age: the TTL unless a test gives a ride-through allowance. */
  maxAgeMs = TTL_MS;
  entry: { revision: number; value: LeaseRecord | 'junk'; writtenAt: number } | undefined;
  private lastRevision = 100;
  failWrites = false;
  failRecords = false;
  writes: LeaseRecord[] = [];
  /** The highest recorded epoch: kept apart from the entry, so it outlives `recreate()`. */
  recorded = 0;

  constructor(private readonly clock: { now: number }) {}

  private live(): FakeLeaseStore['entry'] {
    if (this.entry !== undefined && this.clock.now - this.entry.writtenAt >= this.maxAgeMs) this.entry = undefined;
    return this.entry;
  }

  read(): Promise<LeaseObservation> {
    const entry = this.live();
    if (entry === undefined) return Promise.resolve({ revision: 0, state: 'vacant' });
    if (entry.value === 'junk') return Promise.resolve({ revision: entry.revision, state: 'unreadable', problem: 'junk' });
    return Promise.resolve({ revision: entry.revision, state: 'held', record: entry.value });
  }

  write(record: LeaseRecord, expectedRevision: number): Promise<number | null> {
    if (this.failWrites) return Promise.reject(new Error('no responders'));
    if ((this.live()?.revision ?? 0) !== expectedRevision) return Promise.resolve(null);
    this.lastRevision += 1;
    this.entry = { revision: this.lastRevision, value: record, writtenAt: this.clock.now };
    this.writes.push(record);
    return Promise.resolve(this.lastRevision);
  }

  /** Another writer, outside any keeper. */
  overwrite(value: LeaseRecord | 'junk'): void {
    this.lastRevision += 1;
    this.entry = { revision: this.lastRevision, value, writtenAt: this.clock.now };
  }

  release(expectedRevision: number): Promise<void> {
    if (this.live()?.revision === expectedRevision) this.entry = undefined;
    return Promise.resolve();
  }

  recordedEpoch(): Promise<number> {
    return Promise.resolve(this.recorded);
  }

  recordEpoch(epoch: number): Promise<void> {
    if (this.failRecords) return Promise.reject(new Error('no responders'));
    this.recorded = Math.max(this.recorded, epoch);
    return Promise.resolve();
  }

  /** The bucket deleted and created again: no entry, revisions from the start. */
  recreate(): void {
    this.entry = undefined;
    this.lastRevision = 0;
  }
}

function setup() {
  const clock = { now: 0 };
  const store = new FakeLeaseStore(clock);
  const events: Array<LeaseEvent & { holder: string }> = [];
  const keeper = (holder: string, ownerAlive?: () => boolean, epochFloor?: () => number): LeaseKeeper => {
    const made = new LeaseKeeper(
      { store, now: () => clock.now, logger: silentLogger(), ...(ownerAlive === undefined ? {} : { ownerAlive }), ...(epochFloor === undefined ? {} : { epochFloor }) },
      { holder },
    );
    made.onChange((event) => events.push({ ...event, holder }));
    return made;
  };
  return { clock, store, events, keeper };
}

describe('LeaseKeeper', () => {
  it('takes a vacant lease with its revision as the epoch, and renews carrying that epoch', async () => {
    const { clock, store, events, keeper } = setup();
    const a = keeper('lead-a');
    expect(a.epoch()).toBeNull();
    await a.tick();
    expect(a.epoch()).toBe(101);
    expect(events).toEqual([{ type: 'acquired', epoch: 101, at: 0, holder: 'lead-a' }]);
    expect(store.writes).toEqual([{ holder: 'lead-a', epoch: null }]);

    clock.now = 250;
    await a.tick();
    expect(store.writes.at(-1)).toEqual({ holder: 'lead-a', epoch: 101 });
    expect(store.entry?.revision).toBe(102);
    expect(a.epoch()).toBe(101);
  });

  it('keeps a second lead standing by while the holder renews', async () => {
    const { clock, keeper } = setup();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    for (clock.now = 0; clock.now <= 5 * TTL_MS; clock.now += 125) {
      await a.tick();
      await b.tick();
      expect(a.epoch()).toBe(101);
      expect(b.epoch()).toBeNull();
    }
  });

  it('lets a standby take over, with a higher epoch, once the silent holder\'s entry has expired on the server', async () => {
    const { clock, keeper, events } = setup();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    await b.tick(); // first sight of a's entry
    clock.now = TTL_MS - 1;
    await b.tick();
    expect(b.epoch()).toBeNull();
    clock.now = TTL_MS;
    await b.tick(); // the server expired the entry: vacant
    expect(b.epoch()).toBeGreaterThan(101);
    // a never ticked again (killed): its own deadline had passed long before b took over.
    expect(a.epoch()).toBeNull();
    expect(events.map((event) => `${event.holder}:${event.type}`)).toEqual(['lead-a:acquired', 'lead-b:acquired', 'lead-a:lost']);
  });

  it('takes over a stale entry by compare-and-set when the store keeps it past the TTL', async () => {
    const { clock, store, keeper } = setup();
    const b = keeper('lead-b');
    store.overwrite('junk'); // an entry nobody renews and the store never expires (a longer bucket TTL)
    store.entry!.writtenAt = Number.POSITIVE_INFINITY;
    await b.tick();
    clock.now = TTL_MS - 1;
    await b.tick();
    expect(b.epoch()).toBeNull();
    clock.now = TTL_MS;
    await b.tick();
    expect(b.epoch()).toBe(102);
  });

  it('fences a paused holder: on its first look at the clock it stops acting, and it does not take the lease back from its successor', async () => {
    const { clock, keeper, events } = setup();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    await b.tick();
    // a is paused (SIGSTOP): it neither ticks nor acts while b watches its entry run out.
    for (clock.now = 125; b.epoch() === null; clock.now += 125) await b.tick();
    const bEpoch = b.epoch()!;
    // SIGCONT: before any I/O, a's own deadline says no.
    expect(a.epoch()).toBeNull();
    expect(events.at(-1)).toMatchObject({ holder: 'lead-a', type: 'lost', reason: 'expired', epoch: 101 });
    for (let i = 0; i < 20; i++) {
      clock.now += 125;
      await a.tick();
      await b.tick();
      expect(a.epoch()).toBeNull();
      expect(b.epoch()).toBe(bEpoch);
    }
  });

  it('steps down at once when its renewal loses the compare-and-set to another writer', async () => {
    const { clock, store, keeper, events } = setup();
    const a = keeper('lead-a');
    await a.tick();
    store.overwrite({ holder: 'lead-z', epoch: null });
    clock.now = 300;
    await a.tick();
    expect(a.epoch()).toBeNull();
    expect(events.at(-1)).toMatchObject({ type: 'lost', reason: 'taken', epoch: 101 });
  });

  it('keeps acting while renewals fail only until its own deadline, then stops', async () => {
    const { clock, store, keeper, events } = setup();
    const a = keeper('lead-a');
    await a.tick();
    store.failWrites = true;
    clock.now = 500;
    await a.tick();
    expect(a.epoch()).toBe(101);
    clock.now = TTL_MS - TTL_MS / 10; // the send time of the take + TTL - margin
    expect(a.epoch()).toBeNull();
    expect(events.at(-1)).toMatchObject({ type: 'lost', reason: 'expired' });
  });

  it('re-takes, with a new epoch, a lease it let run out if nobody else wrote since', async () => {
    const { clock, store, keeper } = setup();
    const a = keeper('lead-a');
    await a.tick();
    store.entry!.writtenAt = Number.POSITIVE_INFINITY; // the store has not expired it yet
    clock.now = TTL_MS;
    await a.tick();
    expect(a.epoch()).toBe(102);
  });

  it('releases the lease on a graceful stop so a standby takes it on its next look', async () => {
    const { keeper, events } = setup();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    await b.tick();
    await a.stop({ release: true });
    expect(events.at(-1)).toMatchObject({ holder: 'lead-a', type: 'lost', reason: 'released' });
    await b.tick();
    expect(b.epoch()).toBe(102);
  });

  it('renews while its owner beats, stops renewing when the owner stalls, and lets a standby take over', async () => {
    const { clock, store, keeper, events } = setup();
    let ownerAlive = true;
    const a = keeper('lead-a', () => ownerAlive);
    const b = keeper('lead-b');
    const held: number[] = [];
    a.onHeld((lease) => held.push(lease.validUntil));
    await a.tick();
    await b.tick();
    clock.now = 250;
    await a.tick();
    expect(held).toEqual([900, 1_150]); // sent at 0, then at 250: + TTL - margin
    // The owner (the lead's main thread) stalls: the keeper's own loop is fine, but it must not renew for it.
    ownerAlive = false;
    const writes = store.writes.length;
    for (clock.now = 375; clock.now < 1_150; clock.now += 125) await a.tick();
    expect(store.writes.length).toBe(writes);
    clock.now = 1_149;
    expect(a.epoch()).toBe(101); // still within the deadline of the last renewal
    clock.now = 1_150;
    expect(a.epoch()).toBeNull();
    expect(events.at(-1)).toMatchObject({ holder: 'lead-a', type: 'lost', reason: 'expired' });
    for (; b.epoch() === null && clock.now <= 3 * TTL_MS; clock.now += 125) await b.tick();
    expect(b.epoch()).toBeGreaterThan(101);
    // The owner comes back: the old keeper does not take the lease back.
    ownerAlive = true;
    await a.tick();
    expect(a.epoch()).toBeNull();
  });

  it('keeps the lease through an owner stall shorter than the renewal slack', async () => {
    const { clock, store, keeper } = setup();
    let ownerAlive = true;
    const a = keeper('lead-a', () => ownerAlive);
    await a.tick();
    ownerAlive = false;
    clock.now = 250;
    await a.tick(); // due, but held back
    expect(store.entry?.revision).toBe(101);
    ownerAlive = true;
    clock.now = 500;
    await a.tick();
    expect(store.entry?.revision).toBe(102);
    expect(a.epoch()).toBe(101);
  });

  it('does not take a vacant lease for an owner that shows no sign of life', async () => {
    const { keeper } = setup();
    let ownerAlive = false;
    const b = keeper('lead-b', () => ownerAlive);
    await b.tick();
    expect(b.epoch()).toBeNull();
    ownerAlive = true;
    await b.tick();
    expect(b.epoch()).toBe(101);
  });

  it('with a watch, counts a stale entry from when the write was seen and comes back exactly when it goes stale', async () => {
    const { clock, store, keeper } = setup();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    clock.now = 250;
    await a.tick(); // revision 102, written at 250
    b.observe(await store.read()); // the watch delivers the write as it lands
    expect(b.nextRoundInMs()).toBe(125); // the usual check period
    // a dies. Later looks at the same revision do not move its first sighting.
    clock.now = 1_200;
    b.observe(await store.read());
    expect(b.nextRoundInMs()).toBe(50); // stale at 250 + TTL, sooner than a check period
    store.entry!.writtenAt = Number.POSITIVE_INFINITY; // the server has not expired it yet
    clock.now = 1_249;
    await b.tick();
    expect(b.epoch()).toBeNull();
    clock.now = 1_250;
    await b.tick(); // compare-and-set on the stale revision
    expect(b.epoch()).toBe(103);
  });

  it('takes a stale entry the server expired between its read and its write', async () => {
    const { clock, store, keeper } = setup();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    b.observe(await store.read());
    clock.now = TTL_MS;
    // b's round reads revision 101 (not yet expired), then the server drops it before b's write.
    const read = store.read.bind(store);
    let reads = 0;
    store.read = async () => {
      const seen = await read();
      if (reads++ === 0) store.entry = undefined;
      return seen;
    };
    await b.tick();
    expect(b.epoch()).toBe(102);
  });

  it('after a watch sees the key deleted (a graceful release), its next round is due at once', async () => {
    const { store, keeper } = setup();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    b.observe(await store.read());
    await a.stop({ release: true });
    b.observe({ revision: 102, state: 'vacant' });
    expect(b.nextRoundInMs()).toBe(0);
    await b.tick();
    expect(b.epoch()).toBe(102);
    expect(b.nextRoundInMs()).toBe(125);
  });

  it('keeps epochs growing when the lease bucket is recreated: above the recorded epoch, else above the followed state\'s', async () => {
    const { clock, store, keeper, events } = setup();
    const a = keeper('lead-a');
    await a.tick();
    expect(store.recorded).toBe(101);
    await a.stop({ release: true });

    // Revisions start over at 1: the epoch is one above the recorded 101, and the first renewal writes it at once.
    store.recreate();
    const b = keeper('lead-b');
    await b.tick();
    expect(store.entry?.revision).toBe(1);
    expect(b.epoch()).toBe(102);
    expect(store.recorded).toBe(102);
    clock.now = 125;
    await b.tick();
    expect(store.writes.at(-1)).toEqual({ holder: 'lead-b', epoch: 102 });
    await b.stop({ release: true });

    // The recorded epoch is lost too: the highest epoch stamped on the followed state is the floor.
    store.recreate();
    store.recorded = 0;
    const c = keeper('lead-c', undefined, () => 150);
    await c.tick();
    expect(c.epoch()).toBe(151);
    expect(events.filter((e) => e.type === 'acquired').map((e) => e.epoch)).toEqual([101, 102, 151]);
  });

  it('does not act on a lease whose epoch it could not record, and re-takes it once it can', async () => {
    const { clock, store, keeper, events } = setup();
    const a = keeper('lead-a');
    store.failRecords = true;
    await a.tick();
    expect(store.entry?.value).toEqual({ holder: 'lead-a', epoch: null });
    expect(a.epoch()).toBeNull();
    expect(events).toEqual([]);
    store.failRecords = false;
    clock.now = 125;
    await a.tick();
    expect(a.epoch()).toBe(102);
    expect(store.recorded).toBe(102);
  });

  it('refuses timings that leave no room to renew', () => {
    const { store } = setup();
    expect(() => new LeaseKeeper({ store, now: () => 0, logger: silentLogger() }, { holder: 'x', renewEveryMs: 950 })).toThrow(/shorter than the TTL/);
  });
});

/** Core NATS between keepers, in memory: each keeper reaches every other one that is not cut off. */
class WitnessHub {
  private readonly keepers = new Map<string, LeaseKeeper>();
  /** Keepers no message reaches and none leaves (a partition, or a process gone). */
  readonly cut = new Set<string>();
  readonly asked: WitnessRequest[] = [];

  link(name: string): WitnessLink {
    const others = () => [...this.keepers].filter(([other]) => other !== name && !this.cut.has(other) && !this.cut.has(name)).map(([, keeper]) => keeper);
    return {
      ask: (request) => {
        this.asked.push(request);
        return Promise.resolve(others().flatMap((keeper) => keeper.witness(request) ?? []));
      },
      present: (standby) => Promise.resolve(others().map((keeper) => keeper.presence(standby)).find((ack) => ack !== null) ?? null),
    };
  }

  add(name: string, keeper: LeaseKeeper): void {
    this.keepers.set(name, keeper);
  }
}

const RIDE_MS = 5_000;

function withWitnesses() {
  const clock = { now: 0 };
  const store = new FakeLeaseStore(clock);
  store.maxAgeMs = TTL_MS + RIDE_MS;
  const hub = new WitnessHub();
  const events: string[] = [];
  const rides: Array<RideEvent & { holder: string }> = [];
  const keeper = (holder: string): LeaseKeeper => {
    const made = new LeaseKeeper({ store, now: () => clock.now, logger: silentLogger(), witnesses: hub.link(holder) }, { holder });
    hub.add(holder, made);
    made.onChange((event) => events.push(`${clock.now} ${holder}:${event.type}${event.type === 'lost' ? `:${event.reason}` : ''}`));
    made.onRide((event) => rides.push({ ...event, holder }));
    return made;
  };
  /** Ticks every keeper given, every 125 ms, until `until` (inclusive). */
  const run = async (until: number, ...keepers: LeaseKeeper[]): Promise<void> => {
    for (; clock.now < until; ) {
      clock.now += 125;
      for (const each of keepers) await each.tick();
    }
  };
  return { clock, store, hub, events, rides, keeper, run };
}

describe('LeaseKeeper riding through an unwritable store with witnesses', () => {
  it('keeps its lease and epoch past its TTL while every standby it knows promises, and renews on its last revision once the store is back', async () => {
    const { clock, store, rides, events, keeper, run } = withWitnesses();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    await b.present();
    await b.tick();
    store.failWrites = true; // the lease stream lost its leader
    for (; clock.now < 3 * TTL_MS; ) {
      await run(clock.now + 125, a, b);
      expect(a.epoch()).toBe(101);
      expect(b.epoch()).toBeNull();
    }
    expect(rides[0]).toMatchObject({ holder: 'lead-a', type: 'extended', witnesses: 1, first: true });
    store.failWrites = false; // a new stream leader
    await run(clock.now + 250, a, b);
    expect(store.writes.at(-1)).toEqual({ holder: 'lead-a', epoch: 101 });
    expect(store.entry?.revision).toBe(102);
    expect(a.epoch()).toBe(101);
    expect(rides.at(-1)).toMatchObject({ holder: 'lead-a', type: 'ended' });
    expect(events).toEqual(['0 lead-a:acquired']);
  });

  it('does not ride through when a standby it knows does not answer: it stops at its old deadline and that standby takes over after it', async () => {
    const { clock, store, hub, rides, events, keeper, run } = withWitnesses();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    const c = keeper('lead-c');
    await a.tick();
    await b.present();
    await c.present();
    await run(250, a, b, c); // one renewal landed at 250
    hub.cut.add('lead-b'); // a non-transitive split: b still reaches the store, a does not reach b
    store.failWrites = true;
    await run(1_125, a, c);
    expect(a.epoch()).toBe(101);
    clock.now = 1_150; // the renewal sent at 250 + TTL - margin: no later
    expect(a.epoch()).toBeNull();
    expect(rides.filter((ride) => ride.type === 'extended')).toEqual([]);
    expect(rides[0]).toMatchObject({ type: 'blocked', missing: [b.witnessId], refused: [] });
    store.failWrites = false; // b's side of the store takes writes
    await run(2_000, b);
    expect(b.epoch()).toBeGreaterThan(101);
    expect(events).toEqual(['0 lead-a:acquired', '1150 lead-a:lost:expired', '1275 lead-b:acquired']);
  });

  it('still loses the lease on a compare-and-set conflict, without asking anyone', async () => {
    const { clock, store, hub, events, keeper } = withWitnesses();
    const a = keeper('lead-a');
    await a.tick();
    store.overwrite({ holder: 'lead-z', epoch: null });
    clock.now = 300;
    await a.tick();
    expect(a.epoch()).toBeNull();
    expect(hub.asked).toEqual([]);
    expect(events).toEqual(['0 lead-a:acquired', '300 lead-a:lost:taken']);
  });

  it('adopts its own renewal that landed although its reply was lost, instead of counting the conflict as a loss', async () => {
    const { clock, store, events, keeper } = withWitnesses();
    const a = keeper('lead-a');
    await a.tick();
    clock.now = 250;
    await a.tick(); // epoch written: revision 102
    store.overwrite({ holder: 'lead-a', epoch: 101 }); // a renewal that landed, its reply lost: 103
    clock.now = 500;
    await a.tick(); // CAS on 102 fails; the entry is ours
    expect(a.epoch()).toBe(101);
    clock.now = 625;
    await a.tick();
    expect(store.entry?.revision).toBe(104);
    expect(store.writes.at(-1)).toEqual({ holder: 'lead-a', epoch: 101 });
    store.overwrite({ holder: 'lead-a', epoch: 7 }); // ours in name only: another take's epoch
    clock.now = 875;
    await a.tick();
    expect(a.epoch()).toBeNull();
    expect(events).toEqual(['0 lead-a:acquired', '875 lead-a:lost:taken']);
  });

  it('a standby that promised takes nothing, not even a vacant key, until its promise ends after the holder\'s deadline', async () => {
    const { clock, store, events, keeper, run } = withWitnesses();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    await b.present();
    store.failWrites = true;
    await run(1_500, a, b); // a rides on b's promises; its last round was sent at 1,500
    expect(a.epoch()).toBe(101);
    // a dies; the entry goes (an operator deletes it) and the store takes writes again.
    store.entry = undefined;
    store.failWrites = false;
    await run(2_375, b);
    expect(b.epoch()).toBeNull(); // promised at 1,500 for a TTL
    clock.now = 2_400; // a's deadline from its last round: 1,500 + TTL - margin
    expect(a.epoch()).toBeNull();
    await run(2_500, b);
    expect(b.epoch()).not.toBeNull();
    expect(events).toEqual(['0 lead-a:acquired', '2400 lead-a:lost:expired', '2525 lead-b:acquired']);
  });

  it('ends the ride at the last good renewal + max age - margin, and a paused holder stops on its own clock', async () => {
    const { clock, store, rides, events, keeper, run } = withWitnesses();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    await b.present();
    store.failWrites = true;
    await run(5_500, a, b);
    expect(a.epoch()).toBe(101);
    await run(5_875, a, b);
    // Taken at 0: max age 6,000 - margin 100.
    expect(a.epoch()).toBe(101);
    clock.now = 5_900;
    expect(a.epoch()).toBeNull();
    expect(rides.map((ride) => ride.type)).toContain('bound');
    expect(events).toEqual(['0 lead-a:acquired', '5900 lead-a:lost:expired']);
    // The entry is still in the store (written at 0, max age 6,000), so b could not see it vacant before.
    expect(store.entry?.revision).toBe(101);
  });

  it('a paused holder (SIGSTOP past a deadline its witnesses gave) stops on its first look at the clock', async () => {
    const { clock, store, events, keeper, run } = withWitnesses();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    await b.present();
    store.failWrites = true;
    await run(2_000, a, b);
    expect(a.epoch()).toBe(101);
    clock.now = 2_000 + TTL_MS; // paused for a TTL: no round ran
    expect(a.epoch()).toBeNull();
    expect(events).toEqual(['0 lead-a:acquired', '3000 lead-a:lost:expired']);
  });

  it('after a holder dies, an acknowledged standby takes over one TTL after its last write, one never acknowledged only once the store expires the entry', async () => {
    const { keeper, run, hub } = withWitnesses();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    const c = keeper('lead-c');
    await a.tick();
    await b.present(); // c never reaches the holder
    await b.tick();
    await c.tick();
    hub.cut.add('lead-a'); // a is killed -9
    await run(TTL_MS - 125, b, c);
    expect(b.epoch()).toBeNull();
    await run(TTL_MS, b, c);
    expect(b.epoch()).toBe(102); // a TTL after it saw a's last write
    expect(c.epoch()).toBeNull();
    hub.cut.add('lead-b'); // b is killed -9 in turn, before c was ever acknowledged by it
    await run(TTL_MS + TTL_MS + RIDE_MS - 125, c);
    expect(c.epoch()).toBeNull(); // b's take landed at 1,000: the store keeps it until 7,000
    await run(TTL_MS + TTL_MS + RIDE_MS, c);
    expect(c.epoch()).toBe(103);
  });

  it('acknowledges no new standby while riding, so one it did not ask cannot take early', async () => {
    const { store, keeper, run } = withWitnesses();
    const a = keeper('lead-a');
    const b = keeper('lead-b');
    await a.tick();
    await b.present();
    store.failWrites = true;
    await run(500, a, b);
    const c = keeper('lead-c');
    await c.present();
    expect(a.presence(c.witnessId)).toBeNull();
    expect(a.presence(b.witnessId)).toBeNull();
    store.failWrites = false;
    await run(750, a, b);
    expect(a.presence(c.witnessId)).toMatchObject({ holder: 'lead-a', epoch: 101, ttlMs: TTL_MS });
  });

  it('refuses to witness while it holds the lease, and stays silent to its own request', () => {
    const { keeper } = withWitnesses();
    const a = keeper('lead-a');
    const request = { from: 'lead-z~1', holder: 'lead-z', epoch: 5, ttlMs: TTL_MS };
    expect(a.witness(request)).toEqual({ standby: a.witnessId, promise: true });
    expect(a.witness({ ...request, from: a.witnessId })).toBeNull();
  });
});
