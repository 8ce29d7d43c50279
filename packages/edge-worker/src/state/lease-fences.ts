import { EpochFence } from '@mesh30k/shared';
import { writeKv } from './sql-schema.js';

const PREFIX = 'lease_epoch.';

/**
 * The Worker's lead fence, kept in its Durable Object: the highest lease epoch seen per lead id
 * (kv rows `lease_epoch.<leadId>`), written when it rises and read back when the object starts,
 * so a restarted or evicted object still refuses the late COORDINATE of a lead that lost its
 * lease. Same rule as the pi-daemon's: lower than the bar is LEASE_FENCED, unstamped passes.
 */
export class LeaseFences {
  private readonly fence: EpochFence;

  constructor(sql: SqlStorage) {
    const rows = sql.exec<{ key: string; value: string }>('SELECT key, value FROM kv WHERE key LIKE ?', `${PREFIX}%`).toArray();
    const initial = rows.map((row) => [row.key.slice(PREFIX.length), Number(row.value)] as const).filter(([, epoch]) => Number.isSafeInteger(epoch) && epoch >= 0);
    this.fence = new EpochFence({ initial, onRaise: (leadId, epoch) => writeKv(sql, `${PREFIX}${leadId}`, String(epoch)) });
  }

  /** Why `epoch` from `leadId` is refused, or null (unstamped, current or newer: nothing is raised here). */
  refusal(leadId: string, epoch: number | undefined): string | null {
    if (epoch === undefined) return null;
    const current = this.fence.current(leadId);
    return current !== undefined && epoch < current ? `lease epoch ${epoch} is older than ${current}: a lead that lost its lease` : null;
  }

  /** Raises the bar for `leadId` to `epoch` once its message is admitted. */
  admitted(leadId: string, epoch: number | undefined): void {
    if (epoch !== undefined) this.fence.check(leadId, epoch);
  }

  current(leadId: string): number | undefined {
    return this.fence.current(leadId);
  }
}
