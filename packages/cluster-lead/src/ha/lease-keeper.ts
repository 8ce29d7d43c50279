import type { Logger } from '../lib/logger.js';
import { epochOf } from './lease-record.js';
import type { LeaseObservation, LeaseStore } from './lease-store.js';

/** Why a holder stopped holding: its own clock ran past the lease, another lead took it, or it let go. */
export type LeaseLoss = 'expired' | 'taken' | 'released';

export type LeaseEvent =
  | { readonly type: 'acquired'; readonly epoch: number; readonly at: number }
  | { readonly type: 'lost'; readonly epoch: number; readonly reason: LeaseLoss; readonly at: number };

export interface LeaseKeeperOptions {
  /** This lead's id, written into the entry. */
  readonly holder: string;
  /** How often the holder rewrites the entry; a quarter of the TTL by default. */
  readonly renewEveryMs?: number;
  /** How often a standby reads the entry (and the holder checks whether to renew); half the renewal period by default. */
  readonly checkEveryMs?: number;
  /** Taken off the lease's end on the holder's side, for timer lateness; a tenth of the TTL by default. */
  readonly marginMs?: number;
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
  /** When our own clock says the lease runs out: the last renewal's send time + TTL - margin. */
  validUntil: number;
  lastSentAt: number;
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
 */
export class LeaseKeeper {
  private holding: Holding | undefined;
  /** A standby's view of someone else's entry: its revision and when we first saw it. */
  private observed: { revision: number; since: number } | undefined;
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

  /** Called with the lease's epoch and new deadline each time it is taken or renewed. */
  onHeld(listener: (lease: HeldLease) => void): void {
    this.heldListeners.push(listener);
  }

  /**
   * An entry seen outside a round (a watch on the key): a standby counts a stale entry's TTL from
   * when it first saw its revision, so a watch that sees each write as it lands lets it take over
   * at the earliest safe moment instead of up to a check period later.
   */
  observe(seen: LeaseObservation): void {
    if (this.holding !== undefined) return;
    if (seen.state === 'vacant') this.vacantSeen = true;
    else if (this.observed?.revision !== seen.revision) this.observed = { revision: seen.revision, since: this.deps.now() };
  }

  /** How long until the next round is due: the check period, or sooner when a watched entry goes stale first. */
  nextRoundInMs(): number {
    if (this.holding === undefined && this.vacantSeen) return 0;
    if (this.holding !== undefined || this.observed === undefined) return this.checkEveryMs;
    const staleIn = this.observed.since + this.deps.store.ttlMs - this.deps.now();
    return Math.max(0, Math.min(this.checkEveryMs, Math.ceil(staleIn)));
  }

  /** One round: renew if holding and due, else look at the entry and take it if it is free or stale. */
  tick(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Ticks every `checkEveryMs` (sooner when a watched entry goes stale) until stopped. */
  start(): void {
    this.schedule(0);
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
      this.observed = { revision: seen.revision, since: now };
      return;
    }
    if (now - this.observed.since >= this.deps.store.ttlMs) return this.takeStale(seen.revision, replaced);
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
    this.holding = { epoch, revision, validUntil: sentAt + this.deps.store.ttlMs - this.marginMs, lastSentAt };
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
      // Unknown whether it landed: keep acting until our own deadline, no longer.
      this.deps.logger.warn({ err: error, epoch: holding.epoch }, 'could not renew the lease');
      return;
    }
    if (this.holding !== holding) return;
    if (revision === null) {
      this.stepDown('taken');
      return;
    }
    this.lastOwnRevision = revision;
    holding.revision = revision;
    holding.lastSentAt = sentAt;
    holding.validUntil = sentAt + this.deps.store.ttlMs - this.marginMs;
    this.emitHeld(holding);
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
