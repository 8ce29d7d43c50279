import type { RefusalCode } from '../lib/events.js';

/** Heartbeats accepted, and refused by code: the lead keeps serving and keeps count. */
export class IngestCounters {
  accepted = 0;
  private readonly refused = new Map<RefusalCode, number>();

  refuse(code: RefusalCode): void {
    this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
  }

  refusedBy(code: RefusalCode): number {
    return this.refused.get(code) ?? 0;
  }

  totalRefused(): number {
    let total = 0;
    for (const n of this.refused.values()) total += n;
    return total;
  }

  snapshot(): { accepted: number; refused: Partial<Record<RefusalCode, number>> } {
    return { accepted: this.accepted, refused: Object.fromEntries(this.refused) };
  }
}
