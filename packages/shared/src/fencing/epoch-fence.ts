/**
 * The receiving side of lead fencing. Every lead that holds a lease stamps what it sends with
 * the lease's epoch, a number that only grows from one holder to the next. A receiver keeps
 * the highest epoch it has seen per lease (a cluster, or a lead group) and refuses anything
 * stamped lower: the late words of a lead that was paused or cut off after its successor took
 * over. A message from the current epoch, or a newer one, is admitted (the newer raises the
 * bar at once, so the receiver needs no announcement to follow a failover).
 *
 * A fence that forgets on restart would admit a fenced lead's late message once: a receiver
 * with storage passes the bars it kept (`initial`) and writes each raised bar (`onRaise`,
 * called before the message is admitted, so a crash after it cannot lower the bar).
 */
export interface EpochFenceOptions {
  /** Bars kept from an earlier run, by lease. */
  readonly initial?: Iterable<readonly [string, number]>;
  /** Told each time a lease's bar rises (the first epoch seen included). */
  readonly onRaise?: (lease: string, epoch: number) => void;
}

export type FenceVerdict =
  | { readonly admitted: true; readonly epoch: number; readonly newer: boolean }
  | { readonly admitted: false; readonly epoch: number; readonly current: number };

export class EpochFence {
  private readonly highest = new Map<string, number>();
  private refusedCount = 0;

  constructor(private readonly options: EpochFenceOptions = {}) {
    for (const [lease, epoch] of options.initial ?? []) this.highest.set(lease, epoch);
  }

  /** Admits `epoch` for `lease` unless a higher epoch was already seen for it. */
  check(lease: string, epoch: number): FenceVerdict {
    const current = this.highest.get(lease);
    if (current !== undefined && epoch < current) {
      this.refusedCount++;
      return { admitted: false, epoch, current };
    }
    const newer = current === undefined || epoch > current;
    if (newer) {
      this.options.onRaise?.(lease, epoch);
      this.highest.set(lease, epoch);
    }
    return { admitted: true, epoch, newer };
  }

  /** The highest epoch seen for `lease`, undefined before the first message. */
  current(lease: string): number | undefined {
    return this.highest.get(lease);
  }

  /** Messages refused since this fence was made. */
  get refused(): number {
    return this.refusedCount;
  }
}
