import { randomBytes } from 'node:crypto';
import type { Logger } from '../lib/logger.js';
import { epochOf } from './lease-record.js';
import type { LeaseObservation, LeaseStore } from './lease-store.js';
import type { PresenceAck, WitnessAnswer, WitnessLink, WitnessParty, WitnessRequest } from './lease-witness.js';

/** Why a holder stopped holding: its own clock ran past the lease, another lead took it, or it let go. */
export type LeaseLoss = 'expired' | 'taken' | 'released';

export type LeaseEvent =
  | { readonly type: 'acquired'; readonly epoch: number; readonly at: number }
  | { readonly type: 'lost'; readonly epoch: number; readonly reason: LeaseLoss; readonly at: number };

/**
 * A holder riding through an unwritable lease store: `extended` (every standby it knows of
 * promised; its deadline moved), `blocked` (one did not: the deadline stays), `bound` (the
 * ride-through allowance since the last good renewal is used up), `ended` (a renewal landed).
 */
export type RideEvent =
  | { readonly type: 'extended'; readonly epoch: number; readonly witnesses: number; readonly first: boolean }
  | { readonly type: 'blocked'; readonly epoch: number; readonly missing: readonly string[]; readonly refused: readonly string[] }
  | { readonly type: 'bound'; readonly epoch: number }
  | { readonly type: 'ended'; readonly epoch: number; readonly rodeMs: number };

export interface LeaseKeeperOptions {
  /** This lead's id, written into the entry. */
  readonly holder: string;
  /** How often the holder rewrites the entry; a quarter of the TTL by default. */
  readonly renewEveryMs?: number;
  /** How often a standby reads the entry (and the holder checks whether to renew); half the renewal period by default. */
  readonly checkEveryMs?: number;
  /** Taken off the lease's end on the holder's side, for timer lateness; a tenth of the TTL by default. */
  readonly marginMs?: number;
  /** How often a standby tells the holder it exists (with witnesses); a quarter of the TTL by default. */
  readonly presenceEveryMs?: number;
  /**
   * With witnesses: how long a holder counts a standby it heard from as one it must hear from
   * again, and how long a standby counts the holder's acknowledgement as valid (from when it sent
   * its presence). Must exceed the presence period plus a TTL; twice the TTL by default.
   */
  readonly knownForMs?: number;
  /** How long a holder waits for witness answers; a tenth of the TTL by default. */
  readonly witnessWaitMs?: number;
}

export interface LeaseKeeperDeps {
  readonly store: LeaseStore;
  /** A monotonic clock in ms (a wall-clock step must not stretch a lease). */
  readonly now: () => number;
  readonly logger: Logger;
  /**
   * Whether what the lease is for (the lead's main thread) has shown it is alive recently. When
   * the keeper runs on a thread of its own, a stalled main thread must not be kept in office by
   * it: while this says no, the keeper neither renews nor takes, and a held lease runs out by
   * itself. Always yes when absent (the keeper then shares the main thread's fate).
   */
  readonly ownerAlive?: () => boolean;
  /**
   * The highest epoch this lead has seen stamped on the replicated state (0 when none): a new
   * holder's epoch goes above it too, so it is above what agents and standbys already admitted
   * even when the recorded epoch was lost with its bucket.
   */
  readonly epochFloor?: () => number;
  /**
   * The other keepers of this lease over a path that does not need the lease store (core NATS).
   * With it, and a store whose max age exceeds the TTL, a holder rides through an unwritable
   * store on its standbys' promises, and a standby takes a stale entry only from a holder that
   * acknowledged it (so that holder would have waited for its promise). Without it, as before.
   */
  readonly witnesses?: WitnessLink;
}

/** The lease as held now: what a thread that only reads (the main thread) needs to know. */
export interface HeldLease {
  readonly epoch: number;
  /** The holder's own deadline on the keeper's clock. */
  readonly validUntil: number;
}

interface Holding {
  readonly epoch: number;
  /** The revision of our last write: what the next renewal must expect. */
  revision: number;
  /** When our own clock says the lease runs out: the last renewal's send time + TTL - margin (or a witness round's). */
  validUntil: number;
  lastSentAt: number;
  /** The send time of the last write that landed (take or renewal): a ride-through ends max age - margin after it. */
  goodSentAt: number;
  /** Set while the deadline rests on witnesses rather than on a renewal. */
  ridingSince?: number;
  /** Set once the ride-through's bound was logged for this ride. */
  boundSeen?: boolean;
}

/** A standby's view of the holder's acknowledgement: with it, and only until `until`, it may take a stale entry of that holder. */
interface Acknowledged {
  readonly holder: string;
  readonly epoch: number;
  readonly ttlMs: number;
  readonly until: number;
}

/**
 * Holds, renews and takes one lease. The rules that make it safe:
 * - The holder counts its lease from the moment it *sent* the write, so its end comes before
 *   the entry's TTL runs out on the server, and before any standby can see it as stale.
 * - A standby takes the lease only by compare-and-set: on a vacant key, or on an entry whose
 *   revision it has watched stay unchanged for a whole TTL (counted from when it first saw it,
 *   which is after the holder sent it). Two standbys racing: one write wins.
 * - `epoch()` checks the holder's own deadline synchronously, so a lead that was paused past
 *   its lease stops acting on its first look at the clock, before it has talked to anyone.
 * - A new holder's epoch is above every epoch taken before, even across a recreated lease
 *   bucket (whose revisions start over): it is the larger of the taking write's revision and
 *   one more than the highest of the recorded epoch (`LeaseStore.recordedEpoch`, kept outside
 *   the lease bucket), the epoch of the entry it replaced and `epochFloor`. It is recorded
 *   before the holder acts.
 * - With witnesses (README.md, "Riding through a leaderless lease stream"): a holder whose
 *   renewal fails for availability extends its deadline to the witness request's send time +
 *   TTL - margin, only if every standby it knows of promised not to take the lease for a TTL
 *   from its answer, and never past its last good renewal + the store's max age - margin. A
 *   standby takes a stale entry only while it holds that holder's acknowledgement of its
 *   presence (so that holder counts it among those it must hear from); otherwise it waits for
 *   the store to expire the entry.
 */
export class LeaseKeeper implements WitnessParty {
  private holding: Holding | undefined;
  /** A standby's view of someone else's entry: its revision and when we first saw it. */
  private observed: { revision: number; since: number; seen: LeaseObservation } | undefined;
  /** The last revision this process wrote: a lease we held and nobody touched since may be re-taken at once. */
  private lastOwnRevision = 0;
  private readonly listeners: Array<(event: LeaseEvent) => void> = [];
  private readonly heldListeners: Array<(lease: HeldLease) => void> = [];
  /** Set while renewals or takes are held back because the owner is not alive (logged once per stall). */
  private ownerStalledSince: number | undefined;
  /** A watch saw the key deleted (a graceful release): the next round comes at once. */
  private vacantSeen = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly renewEveryMs: number;
  private readonly checkEveryMs: number;
  private readonly marginMs: number;
  private readonly presenceEveryMs: number;
  private readonly knownForMs: number;
  private readonly witnessWaitMs: number;
  /** This process's name among the witnesses (holder ids may repeat across hosts: a pid is in them). */
  readonly witnessId: string;
  /** Holder side: the standbys heard from (presence or answer), by witness id, and when. */
  private readonly standbys = new Map<string, number>();
  /** Standby side: the holder's last acknowledgement of our presence. */
  private acknowledged: Acknowledged | undefined;
  /** Standby side: no take (not even of a vacant key) before this, as promised to a holder. */
  private promisedUntil = Number.NEGATIVE_INFINITY;
  /** A take is being written: no promise can be given for it. */
  private taking = false;
  private presenting = false;
  private presenceTimer: NodeJS.Timeout | undefined;
  private readonly rideListeners: Array<(event: RideEvent) => void> = [];
  private readonly acknowledgedListeners: Array<(by: PresenceAck) => void> = [];

  constructor(
    private readonly deps: LeaseKeeperDeps,
    private readonly options: LeaseKeeperOptions,
  ) {
    const ttl = deps.store.ttlMs;
    this.renewEveryMs = options.renewEveryMs ?? Math.floor(ttl / 4);
    this.checkEveryMs = options.checkEveryMs ?? Math.max(10, Math.floor(this.renewEveryMs / 2));
    this.marginMs = options.marginMs ?? Math.floor(ttl / 10);
    if (this.renewEveryMs + this.marginMs >= ttl) {
      throw new RangeError(`lease renewal every ${this.renewEveryMs} ms plus margin ${this.marginMs} ms must be shorter than the TTL (${ttl} ms)`);
    }
    if (deps.store.maxAgeMs < ttl) throw new RangeError(`the store's max age (${deps.store.maxAgeMs} ms) must not be shorter than the lease's TTL (${ttl} ms)`);
    this.presenceEveryMs = options.presenceEveryMs ?? Math.floor(ttl / 4);
    this.knownForMs = options.knownForMs ?? 2 * ttl;
    this.witnessWaitMs = options.witnessWaitMs ?? Math.floor(ttl / 10);
    if (this.knownForMs <= this.presenceEveryMs + ttl) {
      throw new RangeError(`knownForMs (${this.knownForMs} ms) must exceed the presence period plus the TTL (${this.presenceEveryMs + ttl} ms), or a standby's acknowledgement lapses before a dead holder's entry goes stale`);
    }
    this.witnessId = `${options.holder}~${randomBytes(4).toString('hex')}`;
  }

  /** Whether this keeper rides through an unwritable store (and so asks standbys to be acknowledged before they take). */
  get ridesThrough(): boolean {
    return this.deps.witnesses !== undefined && this.deps.store.maxAgeMs > this.deps.store.ttlMs;
  }

  get holder(): string {
    return this.options.holder;
  }

  /** The epoch to stamp on an action, or null: this lead must not act. */
  epoch(): number | null {
    const holding = this.holding;
    if (holding === undefined) return null;
    if (this.deps.now() >= holding.validUntil) {
      this.stepDown('expired');
      return null;
    }
    return holding.epoch;
  }

  onChange(listener: (event: LeaseEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Called with the lease's epoch and new deadline each time it is taken, renewed or extended by witnesses. */
  onHeld(listener: (lease: HeldLease) => void): void {
    this.heldListeners.push(listener);
  }

  /** Called when a standby is first acknowledged by a holder (one call per holder and epoch). */
  onAcknowledged(listener: (by: PresenceAck) => void): void {
    this.acknowledgedListeners.push(listener);
  }

  /** Called on each step of a ride-through (for counting and logs). */
  onRide(listener: (event: RideEvent) => void): void {
    this.rideListeners.push(listener);
  }

  /**
   * A holder's witness request (WitnessParty). A standby that neither holds nor is writing a take
   * promises not to take the lease, not even a vacant key, until now + the TTL (the longer of
   * ours and the asker's). Its answer is sent after this returns, so the promise is counted from
   * a moment no earlier than the request's send time, which is what the asker counts from.
   */
  witness(request: WitnessRequest): WitnessAnswer | null {
    if (request.from === this.witnessId) return null;
    const answer = (promise: boolean, reason?: string): WitnessAnswer => ({ standby: this.witnessId, promise, ...(reason === undefined ? {} : { reason }) });
    if (this.holding !== undefined) return answer(false, 'holding');
    if (this.taking) return answer(false, 'taking');
    if (this.acknowledged !== undefined && this.acknowledged.epoch > request.epoch) return answer(false, 'newer-holder');
    const until = this.deps.now() + Math.max(this.deps.store.ttlMs, request.ttlMs);
    if (until > this.promisedUntil) this.promisedUntil = until;
    this.deps.logger.debug({ holder: request.holder, epoch: request.epoch, promised_ms: Math.round(until - this.deps.now()) }, 'promised a riding holder not to take the lease');
    return answer(true);
  }

  /**
   * A standby's presence (WitnessParty): the holder acknowledges it and from then on waits for
   * its promise before riding through. While riding it acknowledges none: an acknowledgement
   * given now would let a standby take early that the last witness round did not bind (one it
   * did bind is bound until after the deadline that round set anyway).
   */
  presence(standby: string): PresenceAck | null {
    const holding = this.holding;
    const now = this.deps.now();
    if (holding === undefined || now >= holding.validUntil || standby === this.witnessId || holding.ridingSince !== undefined) return null;
    this.standbys.set(standby, now);
    return { holder: this.holder, epoch: holding.epoch, ttlMs: this.deps.store.ttlMs };
  }

  /** A standby tells the holder it exists (on a timer from `start`; tests call it by hand). */
  async present(): Promise<void> {
    const link = this.deps.witnesses;
    if (link === undefined || !this.ridesThrough || this.holding !== undefined || this.stopped || this.presenting) return;
    this.presenting = true;
    const sentAt = this.deps.now();
    try {
      const ack = await link.present(this.witnessId);
      if (ack === null) return;
      const known = this.acknowledged;
      // Valid from the send time: the holder counted us from a moment no earlier.
      this.acknowledged = { holder: ack.holder, epoch: ack.epoch, ttlMs: ack.ttlMs, until: sentAt + this.knownForMs };
      if (known?.holder !== ack.holder || known.epoch !== ack.epoch) {
        this.deps.logger.info({ holder: ack.holder, epoch: ack.epoch }, 'the lease holder counts this standby among its witnesses');
        for (const listener of this.acknowledgedListeners) listener(ack);
      }
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'could not tell the holder this standby exists');
    } finally {
      this.presenting = false;
    }
  }

  /**
   * An entry seen outside a round (a watch on the key): a standby counts a stale entry's TTL from
   * when it first saw its revision, so a watch that sees each write as it lands lets it take over
   * at the earliest safe moment instead of up to a check period later.
   */
  observe(seen: LeaseObservation): void {
    if (this.holding !== undefined) return;
    if (seen.state === 'vacant') this.vacantSeen = true;
    else if (this.observed?.revision !== seen.revision) this.observed = { revision: seen.revision, since: this.deps.now(), seen };
  }

  /** How long until the next round is due: the check period, or sooner when a watched entry goes stale first. */
  nextRoundInMs(): number {
    if (this.holding === undefined && this.vacantSeen) return 0;
    if (this.holding !== undefined || this.observed === undefined) return this.checkEveryMs;
    const staleAfter = this.staleAfterMs(this.observed.seen);
    if (staleAfter === null) return this.checkEveryMs;
    const staleIn = this.observed.since + staleAfter - this.deps.now();
    return Math.max(0, Math.min(this.checkEveryMs, Math.ceil(staleIn)));
  }

  /** One round: renew if holding and due, else look at the entry and take it if it is free or stale. */
  tick(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Ticks every `checkEveryMs` (sooner when a watched entry goes stale) until stopped; with witnesses, a standby also presents itself. */
  start(): void {
    this.schedule(0);
    if (this.ridesThrough) {
      void this.present();
      this.presenceTimer = setInterval(() => void this.present(), this.presenceEveryMs);
      this.presenceTimer.unref();
    }
  }

  /** After `observe`: the next round comes as early as the entry seen now allows. */
  wake(): void {
    if (this.stopped || this.running !== undefined || this.timer === undefined) return;
    this.schedule(this.nextRoundInMs());
  }

  private schedule(inMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick().finally(() => {
        if (!this.stopped) this.schedule(this.nextRoundInMs());
      });
    }, inMs).unref();
  }

  /** Stops ticking; with `release`, a held lease is deleted so a standby takes over without waiting for the TTL. */
  async stop(options: { release: boolean }): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.presenceTimer);
    await this.running;
    const holding = this.holding;
    if (holding === undefined) return;
    this.holding = undefined;
    if (options.release) {
      try {
        await this.deps.store.release(holding.revision);
      } catch (error) {
        this.deps.logger.warn({ err: error, epoch: holding.epoch }, 'could not release the lease; a standby takes it when it runs out');
      }
    }
    this.emit({ type: 'lost', epoch: holding.epoch, reason: 'released', at: this.deps.now() });
  }

  private async round(): Promise<void> {
    // The deadline is checked first: a lease that ran out while the owner stalled ends now.
    const holding = this.epoch() !== null;
    if (!this.ownerIsAlive()) return;
    if (holding) {
      await this.renewIfDue();
      return;
    }
    this.vacantSeen = false;
    let seen: LeaseObservation;
    try {
      seen = await this.deps.store.read();
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not read the lease');
      return;
    }
    const now = this.deps.now();
    if (seen.state === 'vacant') return this.take(seen.revision, 0);
    if (seen.state === 'unreadable') this.deps.logger.warn({ revision: seen.revision, problem: seen.problem }, 'lease entry is not a lease record');
    const replaced = seen.state === 'held' ? epochOf(seen.record, seen.revision) : 0;
    if (seen.state === 'held' && seen.record.holder === this.holder && seen.revision === this.lastOwnRevision) return this.take(seen.revision, replaced);
    if (this.observed?.revision !== seen.revision) {
      this.observed = { revision: seen.revision, since: now, seen };
      return;
    }
    const staleAfter = this.staleAfterMs(seen);
    if (staleAfter !== null && now - this.observed.since >= staleAfter) return this.takeStale(seen.revision, replaced);
  }

  /**
   * How long a standby must have seen an entry unchanged before it may take it, or null: only
   * once the store expires it. Without witnesses, one TTL, as always. With them, a holder may
   * ride past its TTL on the promises of the standbys it knows, so a standby takes a stale entry
   * early only while it holds that holder's acknowledgement (it was among those asked), and
   * waits a TTL of the longer of its own and the holder's.
   */
  private staleAfterMs(seen: LeaseObservation): number | null {
    const ttl = this.deps.store.ttlMs;
    if (!this.ridesThrough) return ttl;
    const ack = this.acknowledged;
    if (seen.state !== 'held' || ack === undefined || this.deps.now() >= ack.until) return null;
    if (ack.holder !== seen.record.holder || ack.epoch !== epochOf(seen.record, seen.revision)) return null;
    return Math.max(ttl, ack.ttlMs);
  }

  /** The standbys a holder must hear from: those heard within `knownForMs` (older ones are forgotten). */
  private knownStandbys(now: number): Set<string> {
    const known = new Set<string>();
    for (const [standby, heardAt] of this.standbys) {
      if (now - heardAt < this.knownForMs) known.add(standby);
      else this.standbys.delete(standby);
    }
    return known;
  }

  /**
   * Takes an entry seen stale; if the server expired it meanwhile, the key is vacant: take that
   * (still above the stale entry's epoch, `replaced`).
   */
  private async takeStale(revision: number, replaced: number): Promise<void> {
    await this.take(revision, replaced);
    if (this.holding !== undefined || this.stopped) return;
    let seen: LeaseObservation;
    try {
      seen = await this.deps.store.read();
    } catch {
      return;
    }
    if (seen.state === 'vacant') await this.take(seen.revision, replaced);
  }

  private ownerIsAlive(): boolean {
    const alive = this.deps.ownerAlive?.() ?? true;
    if (alive) {
      if (this.ownerStalledSince !== undefined) this.deps.logger.info({ stalled_ms: Math.round(this.deps.now() - this.ownerStalledSince) }, 'the lead is alive again; lease rounds resume');
      this.ownerStalledSince = undefined;
      return true;
    }
    if (this.ownerStalledSince === undefined) {
      this.ownerStalledSince = this.deps.now();
      this.deps.logger.warn({ held: this.holding !== undefined }, 'the lead shows no sign of life; not renewing or taking the lease');
    }
    return false;
  }

  /** `replaced`: the epoch of the entry this write replaces (0 for a vacant key). */
  private async take(expectedRevision: number, replaced: number): Promise<void> {
    if (this.deps.now() < this.promisedUntil) return; // a riding holder has our word
    this.taking = true;
    try {
      await this.takeUnpromised(expectedRevision, replaced);
    } finally {
      this.taking = false;
    }
  }

  private async takeUnpromised(expectedRevision: number, replaced: number): Promise<void> {
    const sentAt = this.deps.now();
    let revision: number | null;
    try {
      revision = await this.deps.store.write({ holder: this.holder, epoch: null }, expectedRevision);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not take the lease');
      return;
    }
    if (revision === null || this.stopped) return;
    this.lastOwnRevision = revision;
    this.observed = undefined;
    // Read after the write: whoever held before us recorded its epoch before it acted.
    let epoch: number;
    try {
      const floor = Math.max(await this.deps.store.recordedEpoch(), replaced, this.deps.epochFloor?.() ?? 0);
      epoch = Math.max(revision, floor + 1);
      await this.deps.store.recordEpoch(epoch);
    } catch (error) {
      // Not acting on an epoch that may not be above its predecessors'; the next round re-takes the entry.
      this.deps.logger.warn({ err: error, revision }, 'took the lease but could not record its epoch; not acting yet');
      return;
    }
    if (this.stopped) return;
    // The entry says epoch null until the first renewal writes it: due at once when it differs from the revision.
    const lastSentAt = epoch === revision ? sentAt : Number.NEGATIVE_INFINITY;
    this.holding = { epoch, revision, validUntil: sentAt + this.deps.store.ttlMs - this.marginMs, lastSentAt, goodSentAt: sentAt };
    this.acknowledged = undefined;
    if (epoch !== revision) this.deps.logger.info({ epoch, revision }, 'lease epoch raised above the recorded and followed epochs');
    const at = this.deps.now();
    // The deadline is published before the news: a reader told "acquired" finds the lease held.
    this.emitHeld(this.holding);
    this.emit({ type: 'acquired', epoch, at }, { take_ms: Math.round(at - sentAt) });
  }

  private async renewIfDue(): Promise<void> {
    const holding = this.holding!;
    const sentAt = this.deps.now();
    if (sentAt - holding.lastSentAt < this.renewEveryMs) return;
    let revision: number | null;
    try {
      revision = await this.deps.store.write({ holder: this.holder, epoch: holding.epoch }, holding.revision);
    } catch (error) {
      // Unknown whether it landed (the store is unavailable, not taken): keep acting until our own
      // deadline, or longer on the standbys' promises.
      this.deps.logger.warn({ err: error, epoch: holding.epoch }, 'could not renew the lease');
      if (this.holding === holding) await this.rideThrough(holding);
      return;
    }
    if (this.holding !== holding) return;
    if (revision === null) {
      await this.adoptOwnWriteOrStepDown(holding);
      return;
    }
    this.lastOwnRevision = revision;
    holding.revision = revision;
    holding.lastSentAt = sentAt;
    holding.goodSentAt = sentAt;
    // Never shortened by a renewal: a witness round may have set a later deadline, still promised.
    holding.validUntil = Math.max(holding.validUntil, sentAt + this.deps.store.ttlMs - this.marginMs);
    if (holding.ridingSince !== undefined) {
      const rodeMs = Math.round(sentAt - holding.ridingSince);
      delete holding.ridingSince;
      delete holding.boundSeen;
      this.deps.logger.info({ epoch: holding.epoch, rode_ms: rodeMs }, 'lease renewed again: the ride-through is over');
      this.emitRide({ type: 'ended', epoch: holding.epoch, rodeMs });
    }
    this.emitHeld(holding);
  }

  /**
   * A renewal lost its compare-and-set. Usually another lead wrote: a loss. But a renewal whose
   * reply was lost (a timeout while the stream elected a leader) may have landed: then the entry
   * names us and our epoch at a later revision, and only we write that (each epoch is one take's).
   * Adopt it and renew on it at once; its own send time is unknown, so it does not move the
   * deadline. If the entry cannot be read, keep acting until the deadline, as for any failed renewal.
   */
  private async adoptOwnWriteOrStepDown(holding: Holding): Promise<void> {
    let seen: LeaseObservation;
    try {
      seen = await this.deps.store.read();
    } catch (error) {
      this.deps.logger.warn({ err: error, epoch: holding.epoch }, 'renewal lost its compare-and-set and the entry cannot be read; acting until the deadline only');
      return;
    }
    if (this.holding !== holding) return;
    if (seen.state === 'held' && seen.record.holder === this.holder && seen.record.epoch === holding.epoch && seen.revision > holding.revision) {
      this.deps.logger.info({ epoch: holding.epoch, revision: seen.revision }, 'a renewal whose reply was lost had landed: renewing on it');
      this.lastOwnRevision = seen.revision;
      holding.revision = seen.revision;
      holding.lastSentAt = Number.NEGATIVE_INFINITY;
      return;
    }
    this.stepDown('taken');
  }

  /**
   * The store could not be asked: extend the deadline to this round's send time + TTL - margin
   * if every standby we know of promises not to take the lease for a TTL from its answer (which
   * comes after our send), never past the last good renewal + max age - margin (the store keeps
   * our entry that long, so no standby sees it vacant before). A standby we do not know of holds
   * no acknowledgement of ours, so it takes nothing before the store expires the entry.
   */
  private async rideThrough(holding: Holding): Promise<void> {
    const link = this.deps.witnesses;
    if (link === undefined || !this.ridesThrough) return;
    const sentAt = this.deps.now();
    const bound = holding.goodSentAt + this.deps.store.maxAgeMs - this.marginMs;
    const target = Math.min(sentAt + this.deps.store.ttlMs - this.marginMs, bound);
    if (target <= holding.validUntil) {
      if (bound <= holding.validUntil && holding.ridingSince !== undefined && holding.boundSeen !== true) {
        holding.boundSeen = true;
        this.deps.logger.warn({ epoch: holding.epoch, rode_ms: Math.round(sentAt - holding.ridingSince) }, 'the ride-through allowance is used up: the lease ends at its deadline unless a renewal lands');
        this.emitRide({ type: 'bound', epoch: holding.epoch });
      }
      return;
    }
    const expected = this.knownStandbys(sentAt);
    let answers: WitnessAnswer[];
    try {
      answers = await link.ask({ from: this.witnessId, holder: this.holder, epoch: holding.epoch, ttlMs: this.deps.store.ttlMs }, expected, this.witnessWaitMs);
    } catch (error) {
      this.deps.logger.warn({ err: error, epoch: holding.epoch }, 'could not ask the standbys for witness');
      return;
    }
    if (this.holding !== holding) return;
    const heardAt = this.deps.now();
    for (const answer of answers) this.standbys.set(answer.standby, heardAt);
    const answered = new Set(answers.map((answer) => answer.standby));
    const missing = [...expected].filter((standby) => !answered.has(standby));
    const refused = answers.filter((answer) => !answer.promise).map((answer) => `${answer.standby} (${answer.reason ?? 'no reason'})`);
    if (missing.length > 0 || refused.length > 0) {
      this.deps.logger.warn({ epoch: holding.epoch, missing, refused }, 'not riding through: a standby did not promise; the lease ends at its deadline unless a renewal lands');
      this.emitRide({ type: 'blocked', epoch: holding.epoch, missing, refused });
      return;
    }
    const promised = answers.length;
    // Our deadline may have passed while we waited for answers: a lease that ended stays ended.
    if (heardAt >= holding.validUntil) {
      this.stepDown('expired');
      return;
    }
    const first = holding.ridingSince === undefined;
    holding.ridingSince ??= sentAt;
    holding.validUntil = target;
    if (first) this.deps.logger.warn({ epoch: holding.epoch, witnesses: promised, since_good_ms: Math.round(sentAt - holding.goodSentAt) }, 'the lease store takes no writes: riding through on the standbys\' promises');
    this.emitHeld(holding);
    this.emitRide({ type: 'extended', epoch: holding.epoch, witnesses: promised, first });
  }

  private emitRide(event: RideEvent): void {
    for (const listener of this.rideListeners) listener(event);
  }

  private emitHeld(holding: Holding): void {
    const lease = { epoch: holding.epoch, validUntil: holding.validUntil };
    for (const listener of this.heldListeners) listener(lease);
  }

  private stepDown(reason: LeaseLoss): void {
    const holding = this.holding;
    if (holding === undefined) return;
    this.holding = undefined;
    this.emit({ type: 'lost', epoch: holding.epoch, reason, at: this.deps.now() });
  }

  private emit(event: LeaseEvent, extra: Record<string, unknown> = {}): void {
    const fields = event.type === 'lost' ? { epoch: event.epoch, reason: event.reason } : { epoch: event.epoch };
    this.deps.logger.info({ ...fields, ...extra, holder: this.holder }, event.type === 'acquired' ? 'lease acquired' : 'lease lost');
    for (const listener of this.listeners) listener(event);
  }
}
