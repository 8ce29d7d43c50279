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
   * The highest epoch this lead has seen stamped on the replicated state (0 when none): a new
   * holder's epoch goes above it too, so it is above what agents and standbys already admitted
   * even when the recorded epoch was lost with its bucket.
   */
  readonly epochFloor?: () => number;
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

  /** One round: renew if holding and due, else look at the entry and take it if it is free or stale. */
  tick(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Ticks every `checkEveryMs` until stopped. */
  start(): void {
    const loop = (): void => {
      if (this.stopped) return;
      void this.tick().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.checkEveryMs).unref();
      });
    };
    loop();
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
    if (this.epoch() !== null) {
      await this.renewIfDue();
      return;
    }
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
    if (now - this.observed.since >= this.deps.store.ttlMs) return this.take(seen.revision, replaced);
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
    this.emit({ type: 'acquired', epoch, at: this.deps.now() });
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
  }

  private stepDown(reason: LeaseLoss): void {
    const holding = this.holding;
    if (holding === undefined) return;
    this.holding = undefined;
    this.emit({ type: 'lost', epoch: holding.epoch, reason, at: this.deps.now() });
  }

  private emit(event: LeaseEvent): void {
    const fields = event.type === 'lost' ? { epoch: event.epoch, reason: event.reason } : { epoch: event.epoch };
    this.deps.logger.info({ ...fields, holder: this.holder }, event.type === 'acquired' ? 'lease acquired' : 'lease lost');
    for (const listener of this.listeners) listener(event);
  }
}
